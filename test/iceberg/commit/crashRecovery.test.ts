/**
 * Crash safety and idempotency of commitPending (DESIGN.md, "Commit protocol" step 5): after
 * injected crashes, lost responses, transient 500s and lost claims, every registered file is
 * in the table exactly once and every snapshot the table references is recorded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { functionOwner, IN_FLIGHT_MARGIN_MS } from '../../../lib/iceberg/commit/claimOwner.js';
import type { CommitClock } from '../../../lib/iceberg/commit/commitBackoff.js';
import { loadTable } from '../../../lib/iceberg/commit/loadTable.js';
import { commitPending } from '../../../lib/iceberg/commitPending.js';
import { openRegistry, type Registry } from '../../../lib/registry/registry.js';
import { MemoryStore } from '../../../lib/store/memoryStore.js';
import type { ObjectStore } from '../../../lib/store/objectStore.js';
import { addOrderFiles, fileStates, liveFilePaths, tempDir, tempRegistry } from './commitFixtures.js';
import { startSqld } from '../../harness/services.js';
import { FaultyStore, InjectedCrash, transient500 } from './faultyStore.js';

const STALE_MS = 60_000;
const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

function manualClock(start = 1_750_000_000_000): CommitClock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

async function setup(files = 3) {
  const dir = tempDir('astha-crash-');
  const registry = await tempRegistry(dir.path);
  cleanups.push(dir.remove, () => registry.close());
  const store = new MemoryStore();
  await addOrderFiles(registry, store, { count: files });
  const tableId = (await registry.tableByName('sales', 'orders'))?.id ?? -1;
  const clock = manualClock();
  const limits = { staleClaimMs: STALE_MS, maxCommitMs: STALE_MS / 3 };
  return { registry, store, tableId, clock, limits, faulty: new FaultyStore(store) };
}

/** Every file once in the table; registry snapshots = table snapshots; pointer = newest version. */
async function expectConsistent(registry: Registry, store: ObjectStore, tableId: number, files: number) {
  const paths = await liveFilePaths(store, 'sales/orders');
  expect(paths).toHaveLength(files);
  expect(new Set(paths).size).toBe(files);
  expect(await fileStates(registry, tableId)).toEqual({ committed: files });
  const loaded = await loadTable(store, { keyPrefix: 'sales/orders', location: `${store.url}/sales/orders` });
  const inTable = (loaded?.metadata.snapshots ?? []).map((s) => s.snapshotId.toString()).sort();
  const recorded = await registry.client.execute({
    sql: 'SELECT snapshot_id FROM table_snapshots WHERE table_id = ? ORDER BY snapshot_id',
    args: [tableId],
  });
  expect(recorded.rows.map((r) => String(r.snapshot_id)).sort()).toEqual(inTable);
  const fileSnapshots = await registry.client.execute({
    sql: 'SELECT DISTINCT snapshot_id FROM table_files WHERE table_id = ?',
    args: [tableId],
  });
  for (const row of fileSnapshots.rows) expect(inTable).toContain(String(row.snapshot_id));
  expect((await registry.tableById(tableId))?.metadata_version).toBe(loaded?.version);
}

describe('crash safety', () => {
  it('a crash after the metadata PUT is finished by the next run (snapshot found)', async () => {
    const { registry, store, tableId, clock, limits, faulty } = await setup();
    faulty.inject({
      method: 'putIfAbsent',
      key: /v2\.metadata\.json$/,
      when: 'after',
      fault: () => new InjectedCrash('after the metadata PUT'),
    });
    await expect(commitPending(tableId, { registry, store: faulty, clock, limits })).rejects.toThrow(
      InjectedCrash,
    );
    expect(await fileStates(registry, tableId)).toEqual({ committing: 3 });
    expect((await registry.tableById(tableId))?.metadata_version).toBe(1);
    // No waiting for staleness: the snapshot is in the table, so the claim is simply finished.
    expect(await commitPending(tableId, { registry, store, clock, limits })).toBe('nothing pending');
    await expectConsistent(registry, store, tableId, 3);
  });

  it('a crash after the manifests are written is retried once the claim is stale', async () => {
    const { registry, store, tableId, clock, limits, faulty } = await setup();
    faulty.inject({
      method: 'put',
      key: /snap-.*\.avro$/,
      when: 'after',
      fault: () => new InjectedCrash('after manifests'),
    });
    await expect(commitPending(tableId, { registry, store: faulty, clock, limits })).rejects.toThrow(
      InjectedCrash,
    );
    // Too young to judge: its committer might still be at work.
    clock.advance(STALE_MS / 2);
    expect(await commitPending(tableId, { registry, store, clock, limits })).toBe('nothing pending');
    expect(await fileStates(registry, tableId)).toEqual({ committing: 3 });
    clock.advance(STALE_MS);
    const result = await commitPending(tableId, { registry, store, clock, limits });
    expect(result).toMatchObject({ filesAdded: 3, version: 2 });
    if (result !== 'nothing pending') expect(result.recovery.released).toHaveLength(1);
    await expectConsistent(registry, store, tableId, 3);
  });

  it('transient 500s and a lost PUT response end in one commit of every file', async () => {
    const { registry, store, tableId, clock, limits, faulty } = await setup();
    faulty
      .inject({ method: 'put', key: /-m0\.avro$/, when: 'before', fault: transient500 })
      .inject({ method: 'put', key: /snap-.*\.avro$/, when: 'before', fault: transient500 })
      .inject({
        method: 'putIfAbsent',
        key: /v2\.metadata\.json$/,
        when: 'before',
        fault: transient500,
        times: 2,
      })
      // The write lands but its response is lost: the retry must find its own snapshot.
      .inject({ method: 'putIfAbsent', key: /v2\.metadata\.json$/, when: 'after', fault: transient500 });
    const result = await commitPending(tableId, { registry, store: faulty, clock, limits });
    expect(result).toMatchObject({ filesAdded: 3, version: 2 });
    expect(faulty.calls.putIfAbsent).toBeGreaterThanOrEqual(4);
    await expectConsistent(registry, store, tableId, 3);
  });

  it("a function's claim is recovered once its timeout (plus margin) has passed, before the stale age", async () => {
    const { registry, store, tableId, clock, faulty } = await setup();
    const limits = { staleClaimMs: 300_000 };
    faulty.inject({
      method: 'putIfAbsent',
      key: /v2\.metadata\.json$/,
      when: 'before',
      fault: () => new InjectedCrash('killed at its timeout'),
    });
    const owner = functionOwner('astha-iceberg-updater', 60_000);
    await expect(
      commitPending(tableId, { registry, store: faulty, clock, limits, claimOwner: owner }),
    ).rejects.toThrow(InjectedCrash);
    expect(await fileStates(registry, tableId)).toEqual({ committing: 3 });
    clock.advance(60_000 + IN_FLIGHT_MARGIN_MS - 1_000);
    // Still within its bound: the claim stands, nothing else is pending.
    expect(await commitPending(tableId, { registry, store, clock, limits })).toBe('nothing pending');
    expect(await fileStates(registry, tableId)).toEqual({ committing: 3 });
    clock.advance(2_000);
    const result = await commitPending(tableId, { registry, store, clock, limits });
    expect(result).toMatchObject({ filesAdded: 3, recovery: { released: [expect.any(String)] } });
    await expectConsistent(registry, store, tableId, 3);
  });

  it('a committer past its deadline stops before the PUT and hands its files back', async () => {
    const { registry, store, tableId, clock } = await setup();
    await expect(
      commitPending(tableId, { registry, store, clock, limits: { maxCommitMs: -1 } }),
    ).rejects.toMatchObject({ details: { reason: 'deadline' } });
    expect(await fileStates(registry, tableId)).toEqual({ pending: 3 });
    expect((await loadTable(store, { keyPrefix: 'sales/orders', location: 'x' }))?.version).toBe(1);
    await commitPending(tableId, { registry, store, clock });
    await expectConsistent(registry, store, tableId, 3);
  });

  it('a committer whose claims were taken over drops them instead of adding them twice', async () => {
    const { registry, store, tableId, clock, limits, faulty } = await setup();
    faulty.inject({
      method: 'putIfAbsent',
      key: /v2\.metadata\.json$/,
      when: 'before',
      // A rival's recovery judged the claim stale, released it, and committed the files.
      effect: async () => {
        await registry.client.execute(
          "UPDATE table_files SET iceberg_state = 'pending', target_snapshot_id = NULL WHERE iceberg_state = 'committing'",
        );
        await commitPending(tableId, { registry, store, clock, limits });
      },
    });
    await expect(commitPending(tableId, { registry, store: faulty, clock, limits })).rejects.toMatchObject({
      details: { reason: 'claims_lost' },
    });
    await expectConsistent(registry, store, tableId, 3);
  });

  it('racing committers (sqld registry, one connection each) claim disjoint files; each file lands once', async () => {
    const server = await startSqld();
    const registry = await openRegistry(server.url);
    const rivals: Registry[] = [];
    for (let i = 0; i < 6; i++) rivals.push(await openRegistry(server.url));
    cleanups.push(() => {
      for (const r of [registry, ...rivals]) r.close();
      void server.stop();
    });
    const store = new MemoryStore();
    await addOrderFiles(registry, store, { count: 10 });
    const tableId = (await registry.tableByName('sales', 'orders'))?.id ?? -1;
    const limits = { maxFilesPerCommit: 3, baseDelayMs: 1, maxDelayMs: 5 };
    // Files keep arriving while the committers race.
    const late = addOrderFiles(registry, store, { count: 10, firstId: 10_000, tag: 'late' });
    const results = await Promise.all(
      rivals.map((rival) => commitPending(tableId, { registry: rival, store, limits })),
    );
    await late;
    while ((await commitPending(tableId, { registry, store, limits })) !== 'nothing pending') {
      // drain what registered after the racers looked
    }
    const added = results.reduce((n, r) => n + (r === 'nothing pending' ? 0 : r.filesAdded), 0);
    expect(added).toBeGreaterThan(0);
    await expectConsistent(registry, store, tableId, 20);
  });
});
