/**
 * A warehouse directory full of bad objects beside good ones: every bad one is recorded with a
 * reason (a rejected file row, or a rejection record when it maps to no table), none throws,
 * the good ones register, and no object in the store is touched.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { S3ObjectRef } from '../../lib/registry/planRegistration.js';
import type { RejectedObjectRow } from '../../lib/registry/rows.js';
import { FsStore } from '../../lib/store/fsStore.js';
import { broken, ordersParquet, stringIdParquet, uint64Parquet } from './parquetFiles.js';
import { BACKENDS, freshRegistry } from './registryBackends.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Every file under `root` with its bytes, to prove registration changed nothing. */
function snapshot(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(relative(root, full), readFileSync(full).toString('base64'));
    }
  };
  walk(root);
  return files;
}

describe.each(BACKENDS)('a directory of bad files on %s', (backend) => {
  test('registers as rejected rows and records with reasons; good files register; nothing escapes', async () => {
    const registry = await freshRegistry(backend);
    const root = mkdtempSync(join(tmpdir(), 'astha-bad-'));
    dirs.push(root);
    const store = new FsStore(root);
    const good = ordersParquet(8);
    const files: Record<string, Uint8Array> = {
      'sales/orders/data/good-1.parquet': good,
      'sales/orders/data/zero.parquet': new Uint8Array(),
      'sales/orders/data/truncated.parquet': broken.truncated(good),
      'sales/orders/data/magic.parquet': broken.wrongMagic(good),
      'sales/orders/data/footer.parquet': broken.footerPastFile(good),
      'sales/orders/data/uint64.parquet': uint64Parquet(),
      'sales/orders/data/incompatible.parquet': stringIdParquet(),
      'sales/orders/data/good-2.parquet': ordersParquet(4, { firstId: 100 }),
      'sales/orders/notes.txt': new TextEncoder().encode('not in data/'),
      'sales/Bad-Name/data/x.parquet': good,
      'sales/fresh/data/zero.parquet': new Uint8Array(),
    };
    const events: S3ObjectRef[] = [];
    for (const [path, bytes] of Object.entries(files)) {
      const info = await store.put(path, bytes);
      events.push({ bucket: 'lake', key: path, size: info.size, etag: info.etag });
    }
    const before = snapshot(root);

    const outcomes = await registry.registerBatch(events, store);
    const byKey = Object.fromEntries(outcomes.map((o) => [o.object.key, o]));
    const reasonOf = (key: string) => {
      const outcome = byKey[key];
      return outcome?.status === 'rejected' ? outcome.reason : `not rejected: ${outcome?.status}`;
    };

    expect(byKey['sales/orders/data/good-1.parquet']?.status).toBe('registered');
    expect(byKey['sales/orders/data/good-2.parquet']?.status).toBe('registered');
    expect(reasonOf('sales/orders/data/zero.parquet')).toMatch(/empty file: 0 bytes/);
    expect(reasonOf('sales/orders/data/truncated.parquet')).toMatch(/truncated/);
    expect(reasonOf('sales/orders/data/magic.parquet')).toMatch(/trailing magic is "XXXX"/);
    expect(reasonOf('sales/orders/data/footer.parquet')).toMatch(/footer length \d+ is past the file/);
    expect(reasonOf('sales/orders/data/uint64.parquet')).toMatch(/column "u".*UINT_64/);
    expect(reasonOf('sales/orders/data/incompatible.parquet')).toMatch(/column "id"/);
    expect(reasonOf('sales/orders/notes.txt')).toMatch(/not <namespace>\/<table>\/data/);
    expect(reasonOf('sales/Bad-Name/data/x.parquet')).toMatch(/table name "Bad-Name" must match/);
    expect(reasonOf('sales/fresh/data/zero.parquet')).toMatch(/no table to record it in/);
    expect(outcomes.filter((o) => o.status === 'failed')).toEqual([]);

    // In the registry: rejected rows for the table's files, records for keys without a table.
    const table = await registry.tableByName('sales', 'orders');
    expect(table).toMatchObject({ row_count: 12, file_count: 2 });
    const rejected = await registry.filesByState('rejected', { tableId: table!.id });
    expect(rejected.map((f) => f.path.split('/').pop()).sort()).toEqual([
      'footer.parquet',
      'incompatible.parquet',
      'magic.parquet',
      'truncated.parquet',
      'uint64.parquet',
      'zero.parquet',
    ]);
    for (const file of rejected) expect(file.reject_reason).toBeTruthy();
    const records = await registry.client.execute('SELECT * FROM rejected_objects ORDER BY key');
    const recorded = records.rows as unknown as RejectedObjectRow[];
    expect(recorded.map((r) => r.key)).toEqual([
      'sales/Bad-Name/data/x.parquet',
      'sales/fresh/data/zero.parquet',
      'sales/orders/notes.txt',
    ]);
    expect(await registry.tableByName('sales', 'fresh')).toBeUndefined();

    // Registering the same batch again adds nothing.
    const again = await registry.registerBatch(events, store);
    expect(again.filter((o) => o.status === 'registered' || o.status === 'failed')).toEqual([]);
    expect((await registry.status()).filesByState).toMatchObject({ pending: 2, rejected: 6 });
    expect((await registry.status()).rejectedObjects).toBe(3);

    expect(snapshot(root)).toEqual(before);
  });
});
