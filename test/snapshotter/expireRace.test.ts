/**
 * Expiration next to other writers: an append that wins the race for the next metadata version
 * keeps its snapshot (the expiration is recomputed on the new base), and an expiration whose
 * registry step never ran (a crash after the commit) is caught up by the next maintenance.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadTable, readVersionHint } from '../../lib/iceberg/commit/loadTable.js';
import { commitPending } from '../../lib/iceberg/commitPending.js';
import { silentLogger } from '../../lib/log.js';
import { cleanupOrphans } from '../../lib/snapshotter/cleanupOrphans.js';
import { expireSnapshots } from '../../lib/snapshotter/expireSnapshots.js';
import { createSnapshotter } from '../../lib/snapshotter/snapshotter.js';
import { FaultyStore, transient500 } from '../iceberg/commit/faultyStore.js';
import { type PolicyLake, policyLake } from './policyFixture.js';

const DAY = 24 * 60 * 60 * 1000;
let lake: PolicyLake | undefined;
afterEach(() => lake?.remove());

/** A table with `commits` append snapshots of one file each. */
async function tableWithCommits(
  commits: number,
  properties: Record<string, string> = {},
): Promise<PolicyLake> {
  const l = await policyLake(properties);
  for (let i = 0; i < commits; i++) {
    if (i > 0) await l.land(1);
    await commitPending(l.tableId, { registry: l.registry, store: l.store });
  }
  return l;
}

async function tableRef(l: PolicyLake) {
  const row = (await l.registry.tableById(l.tableId))!;
  return { keyPrefix: row.key_prefix, location: row.location };
}

describe('expiration next to other writers', () => {
  it('an append that commits first keeps its snapshot; the expiration retries on top of it', async () => {
    lake = await tableWithCommits(4);
    const l = lake;
    const table = await tableRef(l);
    const before = (await loadTable(l.store, table))!;
    await l.land(1);
    let rival: string | undefined;
    const racing = new FaultyStore(l.store).inject({
      method: 'putIfAbsent',
      key: new RegExp(`v${before.version + 1}\\.metadata\\.json$`),
      when: 'before',
      effect: async () => {
        const result = await commitPending(l.tableId, { registry: l.registry, store: l.store });
        if (result !== 'nothing pending') rival = result.snapshotId;
      },
    });
    const result = await expireSnapshots(racing, table, { nowMs: Date.now() + 10 * DAY });
    expect(rival).toBeDefined();
    expect(result.committed).toBe(true);
    expect(result.table.version).toBe(before.version + 2);
    // The rival's snapshot is current and the only one left (it became the newest to keep).
    expect(result.table.metadata.snapshots.map((s) => s.snapshotId.toString())).toEqual([rival]);
    expect(result.expired).toHaveLength(4);
    expect(await l.states()).toEqual({ committed: 5 });
  });

  it('the next maintenance records an expiration whose registry step was lost', async () => {
    lake = await tableWithCommits(4);
    const table = await tableRef(lake);
    // The commit lands; the process dies before telling the registry.
    const lost = await expireSnapshots(lake.store, table, { nowMs: Date.now() + 10 * DAY });
    expect(lost.expired).toHaveLength(3);
    const snapshotter = createSnapshotter({
      registry: lake.registry,
      store: lake.store,
      logger: silentLogger(),
      clock: lake.clock,
    });
    const report = await snapshotter.maintain(lake.tableId);
    expect(report.expired).toBe(3);
    const rows = await lake.registry.client.execute('SELECT snapshot_id FROM table_snapshots');
    expect(rows.rows.map((r) => String(r.snapshot_id))).toEqual([
      lost.table.metadata.currentSnapshotId!.toString(),
    ]);
  });
});

describe('cleanup and the version hint', () => {
  it('points the hint at the current version before deleting old metadata, and stops if it cannot', async () => {
    lake = await tableWithCommits(6, { 'write.metadata.previous-versions-max': '2' });
    const table = await tableRef(lake);
    const later = Date.now() + 10 * DAY;
    const current = (await loadTable(lake.store, table))!;
    // A stale hint, as a crash between a commit and its hint leaves it.
    await lake.store.put(`${table.keyPrefix}/metadata/version-hint.text`, '1');

    const failing = new FaultyStore(lake.store).inject({
      method: 'put',
      key: /version-hint\.text$/,
      when: 'before',
      fault: transient500,
    });
    await expect(cleanupOrphans(failing, table, { nowMs: later })).rejects.toThrow(/injected 500/);
    expect(failing.calls.delete).toBe(0);

    const done = await cleanupOrphans(lake.store, table, { nowMs: later });
    expect(done.orphans.filter((o) => o.kind === 'metadata').length).toBeGreaterThan(0);
    expect(await lake.store.head(`${table.keyPrefix}/metadata/v1.metadata.json`)).toBeUndefined();
    // A loader with no registry pointer still finds the table through the hint.
    expect(await readVersionHint(lake.store, table)).toBe(current.version);
    expect((await loadTable(lake.store, table))?.version).toBe(current.version);
  });
});
