/**
 * Expiration and cleanup on LocalStack S3 (the store astha runs on in AWS): listing times,
 * deletes and PyIceberg reads through S3. A shorter history than the filesystem test, same
 * checks: dry run equals what a crashed run plus the real run delete, nothing reachable goes,
 * every remaining snapshot reads with its rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTable } from '../../lib/iceberg/commit/loadTable.js';
import { commitPending } from '../../lib/iceberg/commitPending.js';
import type { TableRef } from '../../lib/iceberg/tableLocation.js';
import { cleanupOrphans } from '../../lib/snapshotter/cleanupOrphans.js';
import { expireSnapshots } from '../../lib/snapshotter/expireSnapshots.js';
import { allReachable, reachableFiles } from '../../lib/snapshotter/reachableFiles.js';
import { type Lake, openLake } from '../components/lakeFixture.js';
import { ordersParquet } from '../registry/parquetFiles.js';
import { crashingStore, InjectedCrash } from './crashingStore.js';
import { metadataObjects, readAllSnapshots } from './maintenanceFixture.js';

const COMMITS = 40;
const KEEP = 5;
const DAY = 24 * 60 * 60 * 1000;

let lake: Lake;
let table: TableRef;
const expected = new Map<string, { rows: number; sum: number }>();

beforeAll(async () => {
  lake = await openLake('s3');
  let rows = 0;
  let sum = 0;
  for (let k = 0; k < COMMITS; k++) {
    const firstId = 1 + k * 2;
    await lake.land(`sales/orders/data/f-${k}.parquet`, ordersParquet(2, { firstId }));
    const tableId = (await lake.registry.tableByName('sales', 'orders'))!.id;
    if (k === 0) {
      await lake.registry.client.execute({
        sql: 'UPDATE table_metadata SET properties_json = ? WHERE table_id = ?',
        args: [
          JSON.stringify({
            'history.expire.min-snapshots-to-keep': String(KEEP),
            'write.metadata.previous-versions-max': '5',
          }),
          tableId,
        ],
      });
    }
    const result = await commitPending(tableId, { registry: lake.registry, store: lake.store });
    if (result === 'nothing pending') throw new Error(`commit ${k} found nothing pending`);
    rows += 2;
    sum += 2 * firstId + 1;
    expected.set(result.snapshotId, { rows, sum });
  }
  const row = (await lake.registry.tableByName('sales', 'orders'))!;
  table = { keyPrefix: row.key_prefix, location: row.location };
}, 120_000);
afterAll(() => lake?.close());

describe('maintenance on LocalStack S3', () => {
  it('expires, cleans up exactly the dry run, keeps every reachable object, and every kept snapshot reads', async () => {
    const later = Date.now() + 10 * DAY;
    const before = await metadataObjects(lake.store, table);
    const expiration = await expireSnapshots(lake.store, table, { nowMs: later });
    expect(expiration.expired).toHaveLength(COMMITS - KEEP);

    const dry = await cleanupOrphans(lake.store, table, { nowMs: later, dryRun: true });
    expect(dry.orphans.length).toBeGreaterThan(COMMITS);
    const crashing = crashingStore(lake.store, 13);
    await expect(cleanupOrphans(crashing, table, { nowMs: later })).rejects.toBeInstanceOf(InjectedCrash);
    const real = await cleanupOrphans(lake.store, table, { nowMs: later });
    const deleted = [...crashing.deleted, ...real.orphans.map((o) => o.key)];
    expect(new Set(deleted)).toEqual(new Set(dry.orphans.map((o) => o.key)));

    const loaded = (await loadTable(lake.store, table))!;
    const reachable = allReachable(
      await reachableFiles(lake.store, loaded.metadata, loaded.metadataLocation),
    );
    for (const key of reachable) expect(await lake.store.head(key), key).toBeDefined();
    const after = await metadataObjects(lake.store, table);
    expect(after.size).toBeLessThan(before.size / 2);
    // What is left is exactly what the table reaches, plus the version hint.
    expect([...after.keys()].filter((k) => !reachable.has(k) && !k.endsWith('/version-hint.text'))).toEqual(
      [],
    );

    const read = await readAllSnapshots(loaded.metadataLocation, lake.s3);
    expect(read.snapshots).toHaveLength(KEEP);
    for (const snapshot of read.snapshots) {
      expect({ ...snapshot }).toEqual({ id: snapshot.id, ...expected.get(snapshot.id) });
    }
  }, 60_000);
});
