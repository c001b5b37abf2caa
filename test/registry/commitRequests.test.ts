/**
 * The registry side of a commit on sqld: claiming and recording are one request each (a
 * batch), not a round trip per statement, and the claim's holder is written only with a claim.
 */
import type { Client } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimPendingFiles, openClaims, recordCommit } from '../../lib/registry/commitState.js';
import { openRegistry, type Registry } from '../../lib/registry/registry.js';
import { FsStore } from '../../lib/store/fsStore.js';
import { addOrderFiles, tempDir } from '../iceberg/commit/commitFixtures.js';
import { type SqldServer, startSqld } from '../harness/processes.js';
import { countRequests } from './countRequests.js';

let sqld: SqldServer;
const dir = tempDir('astha-commit-requests-');
beforeAll(async () => {
  sqld = await startSqld();
});
afterAll(async () => {
  await sqld.stop();
  dir.remove();
});

/** The requests `work` sends through `client`, with its result. */
async function requests<T>(client: Client, work: () => Promise<T>): Promise<{ result: T; count: number }> {
  const counter = countRequests(client);
  try {
    return { result: await work(), count: counter.count() };
  } finally {
    counter.stop();
  }
}

describe('commit requests to a sqld registry', () => {
  it('claims in one request, records in one, and writes a holder only with a claim', async () => {
    const registry: Registry = await openRegistry(sqld.url);
    const store = new FsStore(`${dir.path}/warehouse`);
    await addOrderFiles(registry, store, { count: 3 });
    const tableId = (await registry.tableByName('sales', 'orders'))!.id;
    const holder = { owner: 'test-owner', expiresAtMs: Date.now() + 60_000 };
    const claim = (target: string) =>
      claimPendingFiles(registry.client, {
        tableId,
        targetSnapshotId: target,
        limit: 10,
        nowMs: Date.now(),
        holder,
      });
    expect(await openClaims(registry.client, tableId)).toEqual([]); // ensures the claims table once per client

    const claimed = await requests(registry.client, () => claim('111'));
    expect(claimed).toEqual({ result: 3, count: 1 });
    expect(await openClaims(registry.client, tableId)).toMatchObject([
      { targetSnapshotId: '111', files: 3, owner: 'test-owner' },
    ]);
    // Nothing left to claim: no holder row for a claim that took nothing.
    expect((await requests(registry.client, () => claim('222'))).result).toBe(0);
    const holders = await registry.client.execute('SELECT target_snapshot_id FROM commit_claims');
    expect(holders.rows.map((r) => String(r.target_snapshot_id))).toEqual(['111']);

    const ids = await registry.client.execute("SELECT id FROM table_files WHERE target_snapshot_id = '111'");
    const recorded = await requests(registry.client, () =>
      recordCommit(registry.client, {
        pointer: {
          tableId,
          metadataLocation: 'file:///m/v2.metadata.json',
          metadataVersion: 2,
          currentSnapshotId: '111',
        },
        snapshot: {
          snapshotId: '111',
          sequenceNumber: 1,
          parentSnapshotId: null,
          operation: 'append',
          manifestList: 'file:///m/snap-111.avro',
          summaryJson: '{}',
          metadataLocation: 'file:///m/v2.metadata.json',
          timestampMs: Date.now(),
        },
        fileIds: ids.rows.map((r) => Number(r.id)),
        nowMs: Date.now(),
      }),
    );
    expect(recorded).toEqual({ result: 3, count: 1 });
    expect(await openClaims(registry.client, tableId)).toEqual([]);
    const states = await registry.client.execute('SELECT DISTINCT iceberg_state FROM table_files');
    expect(states.rows.map((r) => String(r.iceberg_state))).toEqual(['committed']);
    registry.close();
  });
});
