/**
 * The package as npm users get it: `npm pack` (which builds dist/), then in an empty directory
 * `npm install <tarball>` and the installed `astha` answers --help and --version without tsx;
 * below the supported Node.js range it says so in one line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'astha-pack-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the npm package', () => {
  it('installs from its tarball into an empty directory and runs', { timeout: 240_000 }, () => {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ) as { filename: string; files: { path: string }[] }[];
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['bin/astha.js', 'dist/cli/astha.js', 'package.json']));
    expect(files.filter((f) => f.startsWith('lib/') || f.startsWith('test/'))).toEqual([]);

    const user = join(dir, 'user');
    execFileSync('mkdir', [user]);
    writeFileSync(join(user, 'package.json'), '{"name":"someone","version":"1.0.0"}');
    execFileSync(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, packed[0]!.filename)],
      { cwd: user, stdio: 'ignore' },
    );
    expect(existsSync(join(user, 'node_modules', 'tsx'))).toBe(false);
    const astha = join(user, 'node_modules', '.bin', 'astha');
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? user };
    expect(execFileSync(astha, ['--help'], { cwd: user, env, encoding: 'utf8' })).toMatch(
      /^astha: Parquet files/,
    );
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(execFileSync(astha, ['--version'], { cwd: user, env, encoding: 'utf8' }).trim()).toBe(
      manifest.version,
    );
  });

  it('tells a user of an old Node.js which versions it needs', () => {
    // Node 18 as this process sees it: process.versions replaced before bin/astha.js runs.
    const pretend =
      "data:text/javascript,Object.defineProperty(process,'versions',{value:{...process.versions,node:'18.19.0'}})";
    const run = spawnSync(process.execPath, ['--import', pretend, 'bin/astha.js', '--help'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'astha needs Node.js 20 to 24; this is Node.js 18.19.0. Install a supported version (https://nodejs.org) and try again.\n',
    );
  });
});
