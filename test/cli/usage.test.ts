/**
 * How `astha` answers what people type: per-command help, --version, "did you mean", mistakes
 * as JSON under --json, extra arguments refused, a mistyped registry never created, and a
 * reader that goes away (`| head`) never a stack trace.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asthaArgv, bareEnv, runAstha } from './runAstha.js';

let cwd: string;
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'astha-usage-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** Runs astha with its stdout piped into `true`, which exits at once: every write finds no reader. */
function intoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const command = [...asthaArgv(), ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `${command} | true; exit \${PIPESTATUS[0]}`], {
      cwd,
      env: bareEnv(cwd),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

describe('astha usage', () => {
  it('prints the version and help for one command', { timeout: 30_000 }, async () => {
    const version = await runAstha(cwd, ['--version']);
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(manifest.version);

    const help = await runAstha(cwd, ['show', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: astha show <namespace\.table>/);
    expect(help.stdout).not.toContain('backfill');
  });

  it('suggests the command meant, and refuses extra arguments and foreign options', {
    timeout: 30_000,
  }, async () => {
    const typo = await runAstha(cwd, ['shwo', 'demo.trips']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('did you mean `astha show`?');

    const extra = await runAstha(cwd, ['tables', 'extra', '--json']);
    expect(extra.code).toBe(2);
    expect(extra.stdout).toBe('');
    expect(JSON.parse(extra.stderr)).toEqual({
      error: { code: 'usage', message: expect.stringContaining('unexpected argument "extra"') },
    });

    const foreign = await runAstha(cwd, ['status', '--dry-run']);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/^astha: astha status takes no --dry-run/);
  });

  it('opens only an existing registry for a read command', { timeout: 30_000 }, async () => {
    const missing = join(cwd, 'no', 'such', 'dir');
    const run = await runAstha(cwd, ['status', '--registry', `file:${missing}/r.db`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^astha: no registry at .*no\/such\/dir\/r\.db/);
    expect(existsSync(join(cwd, 'no'))).toBe(false);
  });

  it('stops quietly when the reader of its output goes away', { timeout: 30_000 }, async () => {
    const help = await intoClosedPipe(['--help']);
    expect(help.stderr).not.toContain('EPIPE');
    expect(help.code).toBe(0);
  });
});
