/**
 * Finding the newest version without a usable start point: one listing of `metadata/` and a
 * probe upward from its highest version, instead of one request per version from v1. Counted
 * on a store that records every call; a listing that lags behind the newest versions is made
 * up by the probe.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { CommitClock } from '../../../lib/iceberg/commit/commitBackoff.js';
import { commitTable } from '../../../lib/iceberg/commit/commitTable.js';
import { ensureTable } from '../../../lib/iceberg/commit/ensureTable.js';
import { forgetCachedVersions, loadTable } from '../../../lib/iceberg/commit/loadTable.js';
import { UNPARTITIONED } from '../../../lib/iceberg/spec/partitionSpec.js';
import { UNSORTED } from '../../../lib/iceberg/spec/sortOrder.js';
import {
  metadataKey,
  type TableRef,
  tableRefFor,
  versionHintKey,
} from '../../../lib/iceberg/tableLocation.js';
import { MemoryStore } from '../../../lib/store/memoryStore.js';
import type { ListedObject, ObjectInfo } from '../../../lib/store/objectStore.js';

const VERSIONS = 40;
const noWait: CommitClock = { now: () => 1_700_000_000_000, sleep: async () => undefined };

/** Counts reads; `hideFromList` keys are left out of listings (a listing that lags). */
class CountingStore extends MemoryStore {
  heads: string[] = [];
  lists = 0;
  hideFromList = new Set<string>();

  reset(): void {
    this.heads = [];
    this.lists = 0;
  }
  override head(key: string): Promise<ObjectInfo | undefined> {
    this.heads.push(key);
    return super.head(key);
  }
  override async *list(prefix: string): AsyncIterable<ListedObject> {
    this.lists++;
    for await (const object of super.list(prefix)) if (!this.hideFromList.has(object.key)) yield object;
  }
}

let store: CountingStore;
let table: TableRef;

beforeEach(async () => {
  store = new CountingStore();
  table = tableRefFor(store, 'ns/t');
  const definition = {
    schema: {
      type: 'struct' as const,
      'schema-id': 0,
      fields: [{ id: 1, name: 'id', required: false, type: 'long' as const }],
    },
    spec: UNPARTITIONED,
    sortOrder: UNSORTED,
    properties: {},
  };
  await ensureTable(store, table, definition, { clock: noWait });
  for (let v = 2; v <= VERSIONS; v++) {
    await commitTable(
      store,
      table,
      () => ({ requirements: [], updates: [{ action: 'set-properties', updates: { v: String(v) } }] }),
      { clock: noWait },
    );
  }
  await store.delete(versionHintKey(table));
  forgetCachedVersions();
  store.reset();
});

const metadataHeads = () => store.heads.filter((k) => k.endsWith('.metadata.json'));

describe('loadTable without a start point', () => {
  it('lists metadata/ once and probes only past the highest listed version', async () => {
    const loaded = await loadTable(store, table);
    expect(loaded?.version).toBe(VERSIONS);
    expect(loaded?.metadata.properties.v).toBe(String(VERSIONS));
    expect(store.lists).toBe(1);
    expect(metadataHeads()).toEqual([metadataKey(table, VERSIONS + 1)]);
  });

  it('lists when the known version is gone, and finds the table after cleanup deleted v1', async () => {
    for (let v = 1; v <= 20; v++) await store.delete(metadataKey(table, v));
    store.reset();
    const loaded = await loadTable(store, table, { knownVersion: 5 });
    expect(loaded?.version).toBe(VERSIONS);
    expect(store.lists).toBe(1);
    // The known version and the next are asked together; both gone, the listing takes over.
    expect(metadataHeads()).toEqual([5, 6, VERSIONS + 1].map((v) => metadataKey(table, v)));
    forgetCachedVersions();
    expect((await loadTable(store, table))?.version).toBe(VERSIONS);
  });

  it('probes upward past a listing that lags behind the newest versions', async () => {
    for (let v = VERSIONS - 2; v <= VERSIONS; v++) store.hideFromList.add(metadataKey(table, v));
    const loaded = await loadTable(store, table);
    expect(loaded?.version).toBe(VERSIONS);
    // One probe past the listing; the table is seen moving, so the next four go side by side.
    expect(metadataHeads()).toEqual(
      [VERSIONS - 2, VERSIONS - 1, VERSIONS, VERSIONS + 1, VERSIONS + 2].map((v) => metadataKey(table, v)),
    );
  });

  it('uses a known version that exists without listing', async () => {
    const loaded = await loadTable(store, table, { knownVersion: VERSIONS - 1 });
    expect(loaded?.version).toBe(VERSIONS);
    expect(store.lists).toBe(0);
    // The known version and the next together; a newer one found, the next four together.
    expect(metadataHeads()).toEqual(
      [VERSIONS - 1, VERSIONS, VERSIONS + 1, VERSIONS + 2, VERSIONS + 3, VERSIONS + 4].map((v) =>
        metadataKey(table, v),
      ),
    );
  });

  it('answers undefined for a table with no metadata after one listing and one probe', async () => {
    const empty = tableRefFor(store, 'ns/none');
    expect(await loadTable(store, empty)).toBeUndefined();
    expect(store.lists).toBe(1);
    expect(metadataHeads()).toEqual([metadataKey(empty, 1)]);
  });
});
