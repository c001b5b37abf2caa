/**
 * The registry side of a commit on sqld: claiming and recording are one request each (a
 * batch), not a round trip per statement, and the claim's holder is written only with a claim.
 */
import type { Client } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitPending } from '../../lib/iceberg/commitPending.js';
import { claimPendingFiles, openClaims, recordCommit } from '../../lib/registry/commitState.js';
import { recordCompaction } from '../../lib/registry/compactionState.js';
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

describe('compaction record on a sqld registry', () => {
  it('records a replace in one write request after one read, and a second record changes nothing', async () => {
    const registry: Registry = await openRegistry(sqld.url);
    const store = new FsStore(`${dir.path}/warehouse-compaction`);
    await addOrderFiles(registry, store, { prefix: 'sales/compacted', count: 3, rows: 5 });
    const tableId = (await registry.tableByName('sales', 'compacted'))!.id;
    const committed = await commitPending(tableId, { registry, store });
    if (committed === 'nothing pending') throw new Error('nothing committed');
    const inputs = await registry.client.execute({
      sql: 'SELECT id, uri FROM table_files WHERE table_id = ? ORDER BY id',
      args: [tableId],
    });
    const ids = inputs.rows.map((r) => Number(r.id));
    const record = {
      tableId,
      pointer: {
        tableId,
        metadataLocation: 'file:///v9.metadata.json',
        metadataVersion: 9,
        currentSnapshotId: '99',
      },
      snapshot: {
        snapshotId: '99',
        sequenceNumber: 9,
        parentSnapshotId: committed.snapshotId,
        operation: 'replace' as const,
        manifestList: 'file:///snap-99.avro',
        summaryJson: '{}',
        metadataLocation: 'file:///v9.metadata.json',
        timestampMs: Date.now(),
      },
      inputUris: inputs.rows.map((r) => String(r.uri)),
      outputs: [
        {
          path: 'data/compacted-1.parquet',
          uri: 'file:///data/compacted-1.parquet',
          size: 1234,
          etag: 'out-1',
          rowCount: 15,
          partitionPath: '',
          partitionValuesJson: '{}',
          schemaId: 0,
          columnCount: 3,
          columnStatsJson: '[]',
          splitOffsetsJson: null,
          segments: ids.map((id, i) => ({
            inputFileId: id,
            inputRowStart: 0,
            outputRowStart: i * 5,
            rowCount: 5,
          })),
        },
      ],
      nowMs: Date.now(),
    };
    expect(await registry.tableById(tableId)).toMatchObject({ file_count: 3, row_count: 15 });
    const first = await requests(registry.client, () => recordCompaction(registry.client, record));
    expect(first.count).toBe(2);
    const states = await registry.client.execute({
      sql: 'SELECT id, iceberg_state, astha_written FROM table_files WHERE table_id = ? ORDER BY id',
      args: [tableId],
    });
    expect(states.rows.map((r) => [r.iceberg_state, r.astha_written])).toEqual([
      ['removed', 0],
      ['removed', 0],
      ['removed', 0],
      ['committed', 1],
    ]);
    const outputId = Number(states.rows[3]?.id);
    const after = await registry.tableById(tableId);
    // Three inputs out, one output in.
    expect(after).toMatchObject({ file_count: 1, row_count: 15, total_size: 1234 });
    const lineage = await registry.client.execute({
      sql: 'SELECT source_file_id, row_offset, row_count FROM compacted_rows WHERE output_file_id = ? ORDER BY row_offset',
      args: [outputId],
    });
    expect(lineage.rows.map((r) => [r.source_file_id, r.row_offset, r.row_count])).toEqual(
      ids.map((id, i) => [id, i * 5, 5]),
    );
    expect((await registry.fileStatistics(outputId))?.record_count).toBe(15);

    await recordCompaction(registry.client, record);
    expect(await registry.tableById(tableId)).toMatchObject({
      file_count: after!.file_count,
      row_count: after!.row_count,
      total_size: after!.total_size,
    });
    const counts = await registry.client.execute({
      sql: `SELECT (SELECT count(*) FROM table_files WHERE table_id = ?) AS files,
                   (SELECT count(*) FROM compacted_rows WHERE output_file_id = ?) AS lineage,
                   (SELECT count(*) FROM file_statistics WHERE file_id = ?) AS stats`,
      args: [tableId, outputId, outputId],
    });
    expect(counts.rows[0]).toMatchObject({ files: 4, lineage: 3, stats: 1 });
    registry.close();
  });
});
