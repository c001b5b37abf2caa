/**
 * A warm committer's round trips (bench/e2e --latency): with no claim open, the registry's
 * pointer to the version this process wrote is trusted (no probe), the parent's manifest list
 * it wrote is not read back, the claim brings the claimed files with it, the manifest and the
 * list are written side by side, and the version hint beside the registry record. A version
 * another writer made meanwhile is found by the metadata PUT and committed on top of.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitPending } from '../../../lib/iceberg/commitPending.js';
import { metadataText } from '../../../lib/iceberg/commit/metadataText.js';
import { loadTable, readVersion, readVersionHint } from '../../../lib/iceberg/commit/loadTable.js';
import { currentSnapshot } from '../../../lib/iceberg/spec/tableMetadata.js';
import { metadataKey, type TableRef } from '../../../lib/iceberg/tableLocation.js';
import { openClaims } from '../../../lib/registry/commitState.js';
import { openRegistry, type Registry } from '../../../lib/registry/registry.js';
import { FsStore } from '../../../lib/store/fsStore.js';
import type { ObjectStore } from '../../../lib/store/objectStore.js';
import { type SqldServer, startSqld } from '../../harness/processes.js';
import { countRequests } from '../../registry/countRequests.js';
import { addOrderFiles, tempDir } from './commitFixtures.js';

let sqld: SqldServer;
const dir = tempDir('astha-warm-commit-');
beforeAll(async () => {
  sqld = await startSqld();
});
afterAll(async () => {
  await sqld.stop();
  dir.remove();
});

/** The store calls `work` makes, as `method name` (the file's last path segment, ids masked). */
async function storeCalls(store: ObjectStore, work: () => Promise<unknown>): Promise<string[]> {
  const calls: string[] = [];
  const methods = ['get', 'head', 'put', 'putIfAbsent', 'putIfMatch', 'delete', 'list'] as const;
  const originals = new Map(methods.map((m) => [m, store[m]]));
  for (const method of methods) {
    const original = (store[method] as (...args: unknown[]) => unknown).bind(store);
    Object.assign(store, {
      [method]: (key: string, ...rest: unknown[]) => {
        const name = key
          .split('/')
          .pop()!
          .replace(/^snap-.*\.avro$/, 'snap-*.avro');
        calls.push(`${method} ${name.replace(/^[0-9a-f-]{36}-m\d+\.avro$/, '*-m0.avro')}`);
        return original(key, ...rest);
      },
    });
  }
  try {
    await work();
  } finally {
    for (const [method, original] of originals) Object.assign(store, { [method]: original });
  }
  return calls.sort();
}

describe('a warm commit', () => {
  let registry: Registry;
  let store: FsStore;
  let tableId: number;
  let table: TableRef;

  beforeAll(async () => {
    registry = await openRegistry(sqld.url);
    store = new FsStore(`${dir.path}/warehouse`);
    await addOrderFiles(registry, store, { count: 3 });
    const row = (await registry.tableByName('sales', 'orders'))!;
    tableId = row.id;
    table = { keyPrefix: row.key_prefix, location: row.location };
    // The cold commit: creates v1, probes, reads what it must.
    expect(await commitPending(tableId, { registry, store })).toMatchObject({ filesAdded: 3 });
  });
  afterAll(() => registry.close());

  it('reads nothing it wrote itself and asks the registry in three steps', async () => {
    await addOrderFiles(registry, store, { count: 2, firstId: 100 });
    const counter = countRequests(registry.client);
    let result: Awaited<ReturnType<typeof commitPending>> | undefined;
    const calls = await storeCalls(store, async () => {
      result = await commitPending(tableId, { registry, store });
    });
    const requests = counter.count();
    counter.stop();
    expect(result).toMatchObject({ filesAdded: 2, attempts: 1, pendingLeft: false });
    // No HEAD probe, no GET of the metadata or of the parent's manifest list.
    expect(calls).toEqual([
      'put *-m0.avro',
      'put snap-*.avro',
      'put version-hint.text',
      'putIfAbsent v3.metadata.json',
    ]);
    // Table, definition, open claims and commit turn side by side; the claim (with its files,
    // the definition and what they replace); the record (with whether files are left pending).
    expect(requests).toBe(6);
    expect(await readVersionHint(store, table)).toBe(3);
    const loaded = (await loadTable(store, table))!;
    expect(loaded.version).toBe(3);
    expect(currentSnapshot(loaded.metadata)?.summary['added-data-files']).toBe('2');
  });

  it('commits on top of a version another writer made meanwhile, found by its metadata PUT', async () => {
    // Another process's commit: v4 (here a copy of v3), which this process never saw (written
    // straight to the store, not through this process's commit path).
    const v3 = await readVersion(store, table, 3);
    await store.putIfAbsent(metadataKey(table, 4), metadataText(v3.metadata));
    await addOrderFiles(registry, store, { count: 1, firstId: 200 });

    const result = await commitPending(tableId, { registry, store });
    expect(result).toMatchObject({ filesAdded: 1, attempts: 2, version: 5 });
    const v5 = await readVersion(store, table, 5);
    expect(v5.metadata.metadataLog.map((entry) => entry.metadataFile.split('/').pop())).toContain(
      'v4.metadata.json',
    );
    expect(currentSnapshot(v5.metadata)?.summary['total-data-files']).toBe('6');
    expect(await openClaims(registry.client, tableId)).toEqual([]);
    expect((await registry.tableById(tableId))?.metadata_version).toBe(5);
  });

  it('says, with its record, whether files are left pending', async () => {
    await addOrderFiles(registry, store, { count: 2, firstId: 250 });
    const deps = { registry, store, limits: { maxFilesPerCommit: 1 } };
    expect(await commitPending(tableId, deps)).toMatchObject({ filesAdded: 1, pendingLeft: true });
    expect(await commitPending(tableId, deps)).toMatchObject({ filesAdded: 1, pendingLeft: false });
  });

  it('probes when a claim is open: recovery must see every version', async () => {
    // A committer that PUT the next version and died before its registry record: its claim is
    // open, its version unrecorded. The trusted pointer would hide that version from recovery.
    await addOrderFiles(registry, store, { count: 1, firstId: 300 });
    const current = (await registry.tableById(tableId))!.metadata_version!;
    const newest = await readVersion(store, table, current);
    await store.putIfAbsent(metadataKey(table, current + 1), metadataText(newest.metadata));
    await registry.client.execute({
      sql: `UPDATE table_files SET iceberg_state = 'committing', target_snapshot_id = '42'
            WHERE table_id = ? AND iceberg_state = 'pending'`,
      args: [tableId],
    });
    const calls = await storeCalls(store, () => commitPending(tableId, { registry, store }));
    expect(calls.filter((c) => c.startsWith('head '))).toContain(`head v${current + 1}.metadata.json`);
  });
});
