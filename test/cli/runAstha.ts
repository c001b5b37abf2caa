/**
 * Runs the `astha` command from its TypeScript sources (through tsx, so a stale dist/ is never
 * what is tested) as a child process in a working directory, with a bare environment (PATH and
 * HOME only, plus what a test adds), as a user's shell would; what it printed and its exit code.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = process.cwd();

/** argv that starts the CLI from the sources: `node --import <tsx> lib/cli/run.ts`. */
export function asthaArgv(): string[] {
  const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;
  return [process.execPath, '--import', tsx, join(ROOT, 'lib', 'cli', 'run.ts')];
}

/**
 * The environment the CLI runs with: PATH and HOME, and `extra`. The REST catalog of `astha
 * start` takes any free port, so test processes running side by side never contend for 8181.
 */
export function bareEnv(cwd: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, ASTHA_CATALOG_PORT: '0', ...extra };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runAstha(
  cwd: string,
  args: string[],
  timeoutMs = 90_000,
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const [node, ...nodeArgs] = asthaArgv();
    const child = spawn(node!, [...nodeArgs, ...args], {
      cwd,
      env: bareEnv(cwd, env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Puts a file under `<cwd>/warehouse/<key>` (the embedded default's warehouse); its path. */
export function putWarehouseFile(cwd: string, key: string, body: Uint8Array): string {
  const path = join(cwd, 'warehouse', key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
  return path;
}
