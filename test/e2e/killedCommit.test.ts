/**
 * A committer SIGKILLed between claiming files and writing its metadata: the next `astha start`
 * sees the claim's owner is dead and commits the files at once (not after the 5-minute stale
 * age), and no temporary file of the killed write is left under metadata/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry, type Registry } from '../../lib/registry/registry.js';
import { runAstha } from '../cli/runAstha.js';
import { ordersParquet } from '../registry/parquetFiles.js';

let cwd: string;
let registry: Registry | undefined;
const warehouse = () => join(cwd, 'warehouse');
const REGISTRY_URL = () => `file:${join(cwd, '.astha', 'registry.db')}`;

function putFile(key: string, body: Uint8Array): void {
  const path = join(warehouse(), key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
}

/** Starts the killed committer; resolves once it holds its claim and its temp file exists. */
function claimAndHang(tableId: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'killedCommitter.ts'),
      REGISTRY_URL(),
      warehouse(),
      String(tableId),
    ],
    { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      if (c.toString().includes('claimed')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`committer exited ${code} before claiming: ${stderr}`)));
  });
}

const temporaries = (dir: string) => readdirSync(dir).filter((name) => name.includes('\\'));

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'astha-killed-'));
});
afterAll(() => {
  registry?.close();
  rmSync(cwd, { recursive: true, force: true });
});

describe('a committer killed mid-commit', () => {
  it('is recovered by the next start at once, with no temp file left', { timeout: 150_000 }, async () => {
    putFile('shop/orders/data/a.parquet', ordersParquet(10));
    const first = await runAstha(cwd, ['start', '--no-sample', '--until-idle', '--timeout', '40']);
    expect(first.code, first.stderr).toBe(0);
    putFile('shop/orders/data/b.parquet', ordersParquet(7, { firstId: 100 }));
    putFile('shop/orders/data/c.parquet', ordersParquet(3, { firstId: 200 }));
    expect((await runAstha(cwd, ['backfill', 'shop'])).code).toBe(0);

    registry = await openRegistry(REGISTRY_URL());
    const table = (await registry.tableByName('shop', 'orders'))!;
    const child = await claimAndHang(table.id);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const metadataDir = join(warehouse(), 'shop', 'orders', 'metadata');
    expect((await registry.status()).filesByState.committing).toBe(2);
    expect(temporaries(metadataDir)).toHaveLength(1);

    // Idle within 20 s means the claim was recovered: its stale age is 5 minutes.
    const second = await runAstha(cwd, ['start', '--no-sample', '--until-idle', '--timeout', '20']);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain('committed shop.orders: 20 rows in 3 files');
    expect((await registry.status()).filesByState).toMatchObject({ committing: 0, pending: 0, committed: 3 });
    expect(temporaries(metadataDir)).toEqual([]);
  });
});
