/**
 * A table that commits every second keeps a bounded metadata.json: 300 appends through the
 * iceberg_updater's `commitPending`, one file each, on a clock that starts six days ago and
 * moves one second per commit. `astha.history.max-snapshots` bounds the snapshots (and with
 * them the snapshot log) in the appends' own commits, `write.metadata.previous-versions-max`
 * the metadata log, and `write.metadata.delete-after-commit.enabled` deletes the metadata files
 * that fell off it; PyIceberg time-travels to every snapshot left and DuckDB reads the table.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommitClock } from '../../lib/iceberg/commit/commitBackoff.js';
import { loadTable } from '../../lib/iceberg/commit/loadTable.js';
import { commitPending } from '../../lib/iceberg/commitPending.js';
import type { Registry } from '../../lib/registry/registry.js';
import { updateTableProperties } from '../../lib/registry/tableProperties.js';
import { FsStore } from '../../lib/store/fsStore.js';
import { metadataKey } from '../../lib/iceberg/tableLocation.js';
import { readAllSnapshots } from '../snapshotter/maintenanceFixture.js';
import { addOrderFiles, readWithPyIceberg, tempDir, tempRegistry } from './commit/commitFixtures.js';

const COMMITS = 300;
const MAX_SNAPSHOTS = 20;
const PREVIOUS_VERSIONS = 10;
const ROWS = 2;

let nowMs = Date.now() - 6 * 24 * 60 * 60 * 1000;
const agedClock: CommitClock = { now: () => nowMs, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

const dir = tempDir('astha-retention-');
let registry: Registry;
const store = new FsStore(join(dir.path, 'warehouse'));
/** Per commit: snapshots and metadata-log entries the new version holds, and its size. */
const seen: { snapshots: number; metadataLog: number; bytes: number }[] = [];
/** Snapshot id → rows and id sum the table held at it. */
const expected = new Map<string, { rows: number; sum: number }>();
let metadataLocation = '';

beforeAll(async () => {
  registry = await tempRegistry(dir.path);
  let rows = 0;
  let sum = 0;
  for (let i = 0; i < COMMITS; i++) {
    const [file] = await addOrderFiles(registry, store, { count: 1, rows: ROWS, firstId: 1 + i * ROWS });
    if (i === 0) {
      const tableId = (await registry.tableByName('sales', 'orders'))!.id;
      await updateTableProperties(registry.client, tableId, {
        'astha.history.max-snapshots': String(MAX_SNAPSHOTS),
        'write.metadata.previous-versions-max': String(PREVIOUS_VERSIONS),
        'write.metadata.delete-after-commit.enabled': 'true',
      });
    }
    nowMs += 1_000;
    const result = await commitPending(1, { registry, store, clock: agedClock });
    if (result === 'nothing pending') throw new Error(`commit ${i} found nothing pending`);
    rows += file!.rows;
    sum += file!.idSum;
    expected.set(result.snapshotId, { rows, sum });
    const table = (await registry.tableById(1))!;
    const ref = { keyPrefix: table.key_prefix, location: table.location };
    const loaded = (await loadTable(store, ref, { knownVersion: result.version }))!;
    const bytes = (await store.head(metadataKey(ref, result.version)))!.size;
    seen.push({
      snapshots: loaded.metadata.snapshots.length,
      metadataLog: loaded.metadata.metadataLog.length,
      bytes,
    });
    metadataLocation = result.metadataLocation;
  }
}, 180_000);
afterAll(() => {
  registry?.close();
  dir.remove();
});

describe('retention ceiling on a table that commits every second', () => {
  it('keeps snapshots and the metadata log under the policy, so metadata.json stops growing', () => {
    const slack = Math.ceil(MAX_SNAPSHOTS / 10);
    expect(Math.max(...seen.map((s) => s.snapshots))).toBe(MAX_SNAPSHOTS + slack);
    expect(seen.at(-1)!.snapshots).toBeGreaterThanOrEqual(MAX_SNAPSHOTS);
    expect(Math.max(...seen.map((s) => s.metadataLog))).toBe(PREVIOUS_VERSIONS);
    // Commit 300 against commit 100: the same number of snapshots, give or take the slack.
    expect(seen[COMMITS - 1]!.bytes).toBeLessThan(1.2 * seen[99]!.bytes);
  });

  it('deletes the metadata files that fell off the metadata log, and only those', async () => {
    const table = (await registry.tableById(1))!;
    const names: number[] = [];
    for await (const object of store.list(`${table.key_prefix}/metadata/`)) {
      const version = /\/v(\d+)\.metadata\.json$/.exec(object.key)?.[1];
      if (version) names.push(Number(version));
    }
    const newest = table.metadata_version!;
    // The versions the metadata log still lists, and the current one.
    expect(names.sort((a, b) => a - b)).toEqual(
      Array.from({ length: PREVIOUS_VERSIONS + 1 }, (_, i) => newest - PREVIOUS_VERSIONS + i),
    );
  });

  it('leaves every remaining snapshot readable: PyIceberg time travel and DuckDB', async () => {
    const read = await readAllSnapshots(metadataLocation);
    expect(read.snapshots.length).toBe(seen.at(-1)!.snapshots);
    for (const snapshot of read.snapshots) {
      expect({ id: snapshot.id, rows: snapshot.rows, sum: snapshot.sum }).toEqual({
        id: snapshot.id,
        ...expected.get(snapshot.id),
      });
    }
    const all = expected.get(read.current!)!;
    expect(all.rows).toBe(COMMITS * ROWS);
    const current = await readWithPyIceberg(metadataLocation, { duckdb: true });
    expect(current.duckdb).toEqual({ rows: all.rows, sum: all.sum });
  }, 120_000);
});
