/**
 * `astha start` stops when asked: the first Ctrl-C during the start-up wait, and SIGTERM to
 * `npx astha start` (npm's shell dies, the node process must notice). Off a terminal its logs
 * are JSON lines on stderr, so `--json` output on stdout stays valid JSON.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersParquet } from '../registry/parquetFiles.js';
import { asthaArgv, bareEnv, runAstha, putWarehouseFile } from './runAstha.js';
import { type Started, startProcess } from './startedAstha.js';

let root: string;
const running: Started[] = [];
const strays: number[] = [];

function freshDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Every process below `pid` (children, grandchildren, ...). */
function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'astha-signals-'));
});
afterAll(() => {
  for (const s of running) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  for (const pid of strays) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('astha start stops when asked', () => {
  it('on the first Ctrl-C while it waits for the sample to commit', { timeout: 60_000 }, async () => {
    const [node, ...args] = asthaArgv();
    const start = startProcess(node!, [...args, 'start'], { cwd: freshDir('ctrl-c'), env: bareEnv(root) });
    running.push(start);
    await start.waitFor(/wrote a sample table/);
    start.child.kill('SIGINT');
    expect(await start.exited(20_000)).toBe(0);
    expect(start.output()).not.toContain('watching for new files');
  });

  it('when `npx astha start` gets SIGTERM', { timeout: 60_000 }, async () => {
    // A project whose astha is this checkout's sources, run the way npx runs any bin: sh -c.
    const project = freshDir('npx');
    const bin = join(project, 'node_modules', '.bin', 'astha');
    mkdirSync(dirname(bin), { recursive: true });
    writeFileSync(
      bin,
      `#!/bin/sh\nexec ${asthaArgv()
        .map((a) => `'${a}'`)
        .join(' ')} "$@"\n`,
    );
    chmodSync(bin, 0o755);
    writeFileSync(join(project, 'package.json'), '{"name":"npx-user","version":"1.0.0"}');
    const npx = startProcess('npx', ['astha', 'start', '--no-sample'], {
      cwd: project,
      env: bareEnv(project),
    });
    running.push(npx);
    await npx.waitFor(/put Parquet files under/);
    const nodes = descendants(npx.child.pid!).filter((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('run.ts'),
    );
    expect(nodes.length).toBe(1);
    strays.push(...nodes);
    npx.child.kill('SIGTERM');
    const deadline = Date.now() + 15_000;
    while (isRunning(nodes[0]!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(isRunning(nodes[0]!)).toBe(false);
  });

  it('logs JSON lines on stderr off a terminal, so --json stdout stays JSON', {
    timeout: 90_000,
  }, async () => {
    const cwd = freshDir('json');
    putWarehouseFile(cwd, 'shop/orders/data/a.parquet', ordersParquet(5));
    putWarehouseFile(cwd, 'lost/table/data/x.parquet', new TextEncoder().encode('nothing'));
    const run = await runAstha(cwd, ['start', '--until-idle', '--no-sample', '--json', '--timeout', '60']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([expect.objectContaining({ table: 'shop.orders', rows: 5 })]);
    const logs = run.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; key?: string });
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'file rejected', key: 'lost/table/data/x.parquet' }),
    );
  });
});
