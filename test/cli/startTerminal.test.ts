/**
 * `astha start` on a real terminal (a pseudo-terminal from util-linux `script`): readable lines
 * through the sample, a commit, a rejection (and its retry once its table exists) and Ctrl-C,
 * never raw JSON logs; then a restart
 * (not a terminal) answers with a short summary instead of a snippet block per table and does
 * not reject the old rejections again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersParquet } from '../registry/parquetFiles.js';
import { asthaArgv, bareEnv, putWarehouseFile } from './runAstha.js';
import { type Started, startProcess } from './startedAstha.js';

let cwd: string;
const running: Started[] = [];

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'astha-tty-'));
});
afterAll(() => {
  for (const s of running) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  rmSync(cwd, { recursive: true, force: true });
});

describe('astha start on a terminal', () => {
  it('prints the sample, each commit and rejection as a line, and stops on Ctrl-C', {
    timeout: 120_000,
  }, async () => {
    const command = `exec ${[...asthaArgv(), 'start'].map((a) => `'${a}'`).join(' ')}`;
    // script gives the command a pseudo-terminal as stdin, stdout and stderr; what we write
    // to script's stdin is typed on that terminal (\x03 is Ctrl-C).
    const tty = startProcess('script', ['-qefc', command, '/dev/null'], {
      cwd,
      env: bareEnv(cwd, { TERM: 'dumb' }),
      stdin: 'pipe',
    });
    running.push(tty);
    await tty.waitFor(/wrote a sample table demo\.trips/);
    await tty.waitFor(
      // The sample's three files may be committed together or in two commits (the watcher can
      // announce them in two batches): one line per commit, the last one reaching 600 rows.
      /\d\d:\d\d:\d\d committed demo\.trips: [1-3] files?, \d+ rows \(600 in total\), version \d+/,
    );
    await tty.waitFor(/query it with DuckDB:[\s\S]*iceberg_scan\('/);
    await tty.waitFor(/watching for new files; Ctrl-C to stop/);

    putWarehouseFile(cwd, 'shop/orders/data/a.parquet', ordersParquet(10));
    await tty.waitFor(/committed shop\.orders: 1 file, 10 rows \(10 in total\), version \d+/);
    putWarehouseFile(cwd, 'shop/orders/data/broken.parquet', new TextEncoder().encode('PAR1 not really'));
    putWarehouseFile(cwd, 'lost/table/data/x.parquet', new TextEncoder().encode('nothing'));
    await tty.waitFor(
      /rejected shop\/orders\/data\/broken\.parquet \(shop\.orders\): cannot read Parquet footer/,
    );
    await tty.waitFor(/rejected lost\/table\/data\/x\.parquet: cannot read Parquet footer/);
    // A good file creates lost.table: the object refused for want of a table is retried in it.
    putWarehouseFile(cwd, 'lost/table/data/y.parquet', ordersParquet(10, { firstId: 50 }));
    await tty.waitFor(/committed lost\.table: 1 file, 10 rows/);
    await tty.waitFor(/rejected lost\/table\/data\/x\.parquet \(lost\.table\): cannot read Parquet footer/);

    tty.child.stdin?.write('\x03');
    await tty.waitFor(/stopping \(SIGINT\)/, 10_000);
    expect(await tty.exited(20_000)).toBe(0);
    expect(tty.output()).not.toContain('{"level"');
  });

  it('on restart prints a summary, not the snippets, and no old rejection again', {
    timeout: 60_000,
  }, async () => {
    const [node, ...args] = asthaArgv();
    const again = startProcess(node!, [...args, 'start'], { cwd, env: bareEnv(cwd) });
    running.push(again);
    await again.waitFor(/watching for new files/);
    // One scan of the warehouse happens at start: give it time to (not) re-announce.
    await new Promise((r) => setTimeout(r, 3_000));
    again.child.kill('SIGINT');
    expect(await again.exited(20_000)).toBe(0);
    const output = again.output();
    expect(output).toMatch(
      /3 tables \(demo\.trips, lost\.table, shop\.orders\): 620 rows committed, 0 files pending, 2 rejected/,
    );
    expect(output).not.toContain('query it with DuckDB');
    expect(output).not.toContain('file rejected');
  });
});
