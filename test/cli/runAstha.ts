/**
 * Runs the real `astha` binary as a child process in a working directory, with a bare
 * environment (PATH and HOME only), as a user's shell would; what it printed and its exit code.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'astha.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runAstha(cwd: string, args: string[], timeoutMs = 90_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd },
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
