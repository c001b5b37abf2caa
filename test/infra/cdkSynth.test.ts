/**
 * `npx cdk synth` as a user runs it from a fresh clone, in a child process with no network:
 * inside an empty network namespace when `unshare` allows it, otherwise with every proxy
 * pointed at a closed local port. It must succeed with local esbuild and need no lookups.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FUNCTIONS_DIR, PROJECT_ROOT } from '../../infra/paths.js';
import { realWhereAvailableDir } from './synthStack.js';

/** Bound on the child process, so a hang fails the test instead of stalling the suite. */
const CHILD_LIMIT_MS = 240_000;
const CLOSED_PORT_PROXY = 'http://127.0.0.1:9';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  outdir: string;
  home: string;
  handlerDir: string;
  isolated: boolean;
}

function canIsolateNetwork(): boolean {
  return spawnSync('unshare', ['-rn', 'true'], { timeout: 10_000 }).status === 0;
}

function offlineEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: home,
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    HTTP_PROXY: CLOSED_PORT_PROXY,
    HTTPS_PROXY: CLOSED_PORT_PROXY,
    http_proxy: CLOSED_PORT_PROXY,
    https_proxy: CLOSED_PORT_PROXY,
  };
}

function runSynth(): Run {
  const outdir = mkdtempSync(join(tmpdir(), 'astha-cdk-synth-'));
  const home = mkdtempSync(join(tmpdir(), 'astha-cdk-home-'));
  const dir = realWhereAvailableDir();
  // While some handlers are still missing, stand-ins fill in through the functionsDir context.
  const context = dir === DEFAULT_FUNCTIONS_DIR ? [] : ['-c', `functionsDir=${relative(PROJECT_ROOT, dir)}`];
  const cdk = ['npx', 'cdk', 'synth', '--no-notices', '-q', '-o', outdir, ...context];
  const isolated = canIsolateNetwork();
  const [command, ...args] = isolated ? ['unshare', '-rn', ...cdk] : cdk;
  const result = spawnSync(command ?? 'npx', args, {
    cwd: PROJECT_ROOT,
    env: offlineEnv(home),
    encoding: 'utf8',
    timeout: CHILD_LIMIT_MS,
  });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    outdir,
    home,
    handlerDir: dir,
    isolated,
  };
}

let run: Run;

beforeAll(() => {
  run = runSynth();
  console.log(
    `cdk synth (${run.isolated ? 'inside an empty network namespace' : 'proxies pointed at a closed port'}): exit ${run.status}`,
  );
}, CHILD_LIMIT_MS + 10_000);

afterAll(() => {
  for (const dir of [run.outdir, run.home]) rmSync(dir, { recursive: true, force: true });
  if (run.handlerDir !== DEFAULT_FUNCTIONS_DIR) rmSync(run.handlerDir, { recursive: true, force: true });
});

describe('npx cdk synth', () => {
  it('exits 0 offline and writes the Astha template', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(join(run.outdir, 'Astha.template.json'))).toBe(true);
  });

  it('needed no context lookups (environment-agnostic stack)', () => {
    const manifest = JSON.parse(readFileSync(join(run.outdir, 'manifest.json'), 'utf8')) as {
      missing?: unknown[];
      artifacts: Record<string, { environment?: string }>;
    };
    expect(manifest.missing ?? []).toEqual([]);
    expect(manifest.artifacts['Astha']?.environment).toBe('aws://unknown-account/unknown-region');
  });

  it('bundled seven nodejs24.x arm64 functions from local esbuild', () => {
    const template = JSON.parse(readFileSync(join(run.outdir, 'Astha.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(7);
    for (const fn of functions) {
      expect(fn.Properties['Runtime']).toBe('nodejs24.x');
      expect(fn.Properties['Architectures']).toEqual(['arm64']);
      const key = (fn.Properties['Code'] as { S3Key: string }).S3Key.replace(/\.zip$/, '');
      expect(existsSync(join(run.outdir, `asset.${key}`, 'index.mjs'))).toBe(true);
    }
    expect(run.stderr).not.toMatch(/docker/i);
  });
});
