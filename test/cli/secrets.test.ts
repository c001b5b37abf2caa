/**
 * A registry URL carrying a token is never printed: not by `astha start`'s banner, not by the
 * error a bad URL produces.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAstha } from './runAstha.js';

const SECRET = 'tok3n-that-must-not-print';
let cwd: string;

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'astha-secrets-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('registry URL secrets', () => {
  it('astha start prints the registry URL without its token', { timeout: 60_000 }, async () => {
    const registry = `file:${join(cwd, 'registry.db')}?authToken=${SECRET}`;
    const run = await runAstha(cwd, [
      'start',
      '--no-sample',
      '--until-idle',
      '--timeout',
      '10',
      '--registry',
      registry,
    ]);
    expect(run.stdout).toContain('authToken=[redacted]');
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it('a configuration error names the URL without its token', { timeout: 30_000 }, async () => {
    const run = await runAstha(cwd, ['status', '--registry', `libsqlx://db.example?authToken=${SECRET}`]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('libsqlx://db.example?authToken=[redacted]');
    expect(run.stderr).not.toContain(SECRET);
  });
});
