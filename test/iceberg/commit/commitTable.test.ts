import { describe, expect, it } from 'vitest';
import { StoreError } from '../../../lib/errors.js';
import type { CommitClock } from '../../../lib/iceberg/commit/commitBackoff.js';
import { commitTable } from '../../../lib/iceberg/commit/commitTable.js';
import { ensureTable } from '../../../lib/iceberg/commit/ensureTable.js';
import { loadTable, readVersionHint } from '../../../lib/iceberg/commit/loadTable.js';
import { metadataText, parseMetadataText } from '../../../lib/iceberg/commit/metadataText.js';
import { applyUpdates } from '../../../lib/iceberg/spec/tableMetadataBuilder.js';
import { parseTableMetadata, serializeTableMetadata } from '../../../lib/iceberg/spec/tableMetadata.js';
import { UNPARTITIONED } from '../../../lib/iceberg/spec/partitionSpec.js';
import { UNSORTED } from '../../../lib/iceberg/spec/sortOrder.js';
import type { TableCommit } from '../../../lib/iceberg/spec/tableUpdate.js';
import { metadataKey, tableRefFor, versionHintKey } from '../../../lib/iceberg/tableLocation.js';
import { MemoryStore } from '../../../lib/store/memoryStore.js';
import { FaultyStore, transient500 } from './faultyStore.js';

const noWait: CommitClock = { now: () => 1_700_000_000_000, sleep: async () => undefined };
const definition = {
  schema: {
    type: 'struct' as const,
    'schema-id': 0,
    fields: [{ id: 1, name: 'id', required: false, type: 'long' as const }],
  },
  spec: UNPARTITIONED,
  sortOrder: UNSORTED,
  properties: { owner: 'test' },
};

async function newTable(store = new MemoryStore()) {
  const table = tableRefFor(store, 'ns/t');
  await ensureTable(store, table, definition, { clock: noWait });
  return { store, table };
}

const setProperty = (key: string, value: string) => (): TableCommit => ({
  updates: [{ action: 'set-properties', updates: { [key]: value } }],
  requirements: [],
});

describe('ensureTable', () => {
  it('creates v1 once, with a name mapping, and returns the existing table afterwards', async () => {
    const store = new MemoryStore();
    const table = tableRefFor(store, 'ns/t');
    const [a, b] = await Promise.all([
      ensureTable(store, table, definition, { clock: noWait }),
      ensureTable(store, table, definition, { clock: noWait }),
    ]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.metadata.tableUuid).toBe(b.metadata.tableUuid);
    expect(a.version).toBe(1);
    expect(a.metadata.properties.owner).toBe('test');
    expect(JSON.parse(a.metadata.properties['schema.name-mapping.default'] ?? '[]')).toEqual([
      { 'field-id': 1, names: ['id'] },
    ]);
    expect(a.metadataLocation).toBe('memory://anonymous/ns/t/metadata/v1.metadata.json');
    expect(await readVersionHint(store, table)).toBe(1);
  });
});

describe('commitTable', () => {
  it('writes v<N+1> and the hint, and records the base in the metadata log', async () => {
    const { store, table } = await newTable();
    const result = await commitTable(store, table, setProperty('a', '1'), { clock: noWait });
    expect(result).toMatchObject({ version: 2, committed: true, attempts: 1 });
    expect(result.metadata.metadataLog.at(-1)?.metadataFile).toMatch(/v1\.metadata\.json$/);
    expect(new TextDecoder().decode(await store.get(versionHintKey(table)))).toBe('2');
  });

  it('racing committers all land, each on its own version, none lost', async () => {
    const { store, table } = await newTable();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        commitTable(store, table, setProperty(`k${i}`, 'v'), { clock: noWait }),
      ),
    );
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    const latest = await loadTable(store, table);
    expect(latest?.version).toBe(9);
    for (let i = 0; i < 8; i++) expect(latest?.metadata.properties[`k${i}`]).toBe('v');
  });

  it('rebuilds the change on the new base after a conflict', async () => {
    const { store, table } = await newTable();
    const bases: number[] = [];
    const result = await commitTable(
      store,
      table,
      async (base) => {
        bases.push(base.version);
        // Someone else commits while we build our first attempt.
        if (bases.length === 1) await commitTable(store, table, setProperty('other', 'x'), { clock: noWait });
        return setProperty('mine', String(base.version))();
      },
      { clock: noWait },
    );
    expect(bases).toEqual([1, 2]);
    expect(result.version).toBe(3);
    expect(result.metadata.properties).toMatchObject({ other: 'x', mine: '2' });
  });

  it('tells the caller of each lost race, and retries at once when it asks', async () => {
    const losses: number[] = [];
    const sleeps: number[] = [];
    const clock: CommitClock = { now: noWait.now, sleep: async (ms) => void sleeps.push(ms) };
    for (const atOnce of [false, true]) {
      const { store, table } = await newTable();
      let rivals = 0;
      const result = await commitTable(
        store,
        table,
        async () => {
          // Someone else commits while each of our first two attempts is being built.
          if (rivals++ < 2)
            await commitTable(store, table, setProperty(`other${rivals}`, 'x'), { clock: noWait });
          return setProperty('mine', 'y')();
        },
        {
          clock,
          random: () => 0.5,
          onLostRace: async (attempt) => {
            losses.push(attempt);
            return atOnce;
          },
        },
      );
      expect(result).toMatchObject({ version: 4, attempts: 3 });
    }
    expect(losses).toEqual([1, 2, 1, 2]);
    // The backoff before attempts 2 and 3 when the caller did not ask for more; none when it did.
    expect(sleeps).toHaveLength(2);
  });

  it('finds versions beyond a lagging pointer and hint', async () => {
    const { store, table } = await newTable();
    await commitTable(store, table, setProperty('a', '1'), { clock: noWait });
    await commitTable(store, table, setProperty('b', '1'), { clock: noWait });
    await store.put(versionHintKey(table), '1');
    expect((await loadTable(store, table))?.version).toBe(3);
    expect((await loadTable(store, table, { knownVersion: 2 }))?.version).toBe(3);
    await store.delete(versionHintKey(table));
    expect((await loadTable(store, table))?.version).toBe(3);
  });

  it('retries transient store errors and gives up after the attempt limit', async () => {
    const { store } = await newTable();
    const faulty = new FaultyStore(store);
    const table = tableRefFor(store, 'ns/t');
    faulty.inject({
      method: 'putIfAbsent',
      key: /metadata\.json$/,
      when: 'before',
      fault: transient500,
      times: 2,
    });
    const ok = await commitTable(faulty, table, setProperty('a', '1'), { clock: noWait });
    expect(ok).toMatchObject({ version: 2, attempts: 3 });
    faulty.inject({
      method: 'putIfAbsent',
      key: /metadata\.json$/,
      when: 'before',
      fault: transient500,
      times: 99,
    });
    await expect(
      commitTable(faulty, table, setProperty('b', '1'), { clock: noWait, limits: { maxAttempts: 4 } }),
    ).rejects.toMatchObject({ code: 'requirement_failed', details: { reason: 'attempts_exhausted' } });
    expect(await store.head(metadataKey(table, 3))).toBeUndefined();
  });

  it('does not retry a failed requirement or a non-retryable store error', async () => {
    const { store, table } = await newTable();
    let calls = 0;
    await expect(
      commitTable(
        store,
        table,
        () => {
          calls += 1;
          return { updates: [], requirements: [{ type: 'assert-current-schema-id', currentSchemaId: 7 }] };
        },
        { clock: noWait },
      ),
    ).rejects.toMatchObject({ code: 'requirement_failed' });
    expect(calls).toBe(1);
    const faulty = new FaultyStore(store).inject({
      method: 'putIfAbsent',
      key: /metadata\.json$/,
      when: 'before',
      fault: () => new StoreError('backend', 'access denied', { retryable: false }),
    });
    await expect(commitTable(faulty, table, setProperty('a', '1'), { clock: noWait })).rejects.toThrow(
      'access denied',
    );
  });

  it('answers noop without writing and refuses a table that does not exist', async () => {
    const { store, table } = await newTable();
    const result = await commitTable(store, table, () => 'noop', { clock: noWait });
    expect(result).toMatchObject({ version: 1, committed: false });
    await expect(
      commitTable(store, tableRefFor(store, 'ns/missing'), setProperty('a', '1'), { clock: noWait }),
    ).rejects.toThrow(/has no metadata/);
  });
});

describe('metadataText', () => {
  it('writes and reads the same document as the spec serializer, 64-bit ids exact', async () => {
    const { store, table } = await newTable();
    const loaded = await loadTable(store, table);
    if (!loaded) throw new Error('no table');
    const big = 9_007_199_254_740_993n; // 2^53 + 1: a double would round it
    const snapshot = {
      snapshotId: big,
      sequenceNumber: 1,
      timestampMs: 1_700_000_000_001,
      manifestList: 'memory://anonymous/ns/t/metadata/snap-1.avro',
      summary: { operation: 'append' as const, 'added-records': '12345678901234567890' },
    };
    const withSnapshot = applyUpdates(
      loaded.metadata,
      [
        {
          action: 'set-properties',
          updates: { note: '~bigint-1~ "q" \\ 12345678901234567890, -98765432109876543210' },
        },
        { action: 'add-snapshot', snapshot },
        { action: 'set-snapshot-ref', refName: 'main', type: 'branch', snapshotId: big },
      ],
      { nowMs: 1_700_000_000_002, metadataLocation: loaded.metadataLocation },
    );
    const metadata = { ...withSnapshot, statistics: [{ 'snapshot-id': big, path: 'x' }] };
    const text = metadataText(metadata);
    expect(text).toContain(`"snapshot-id":${big}`);
    const exact = parseTableMetadata(serializeTableMetadata(metadata));
    expect(parseTableMetadata(text)).toEqual(exact);
    expect(parseMetadataText(text)).toEqual(exact);
    expect(parseMetadataText(serializeTableMetadata(metadata))).toEqual(exact);
    expect(parseMetadataText(text).currentSnapshotId).toBe(big);
  });
});
