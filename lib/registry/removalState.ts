/**
 * Registry side of removing committed files from Iceberg (S3 `ObjectRemoved`): a `removed` row
 * that still carries the snapshot that added it (`target_snapshot_id = snapshot_id`) is still in
 * the table; once a `delete` snapshot (or a check that it is gone) took it out,
 * `target_snapshot_id` names that delete snapshot.
 */
import type { Client } from '@libsql/client';
import type { SnapshotId } from './rows.js';
import { writeTransaction } from './writeTransaction.js';

export interface RemovedInTable {
  id: number;
  uri: string;
}

export async function removedStillInTable(
  client: Client,
  tableId: number,
  limit = 1000,
): Promise<RemovedInTable[]> {
  const result = await client.execute({
    sql: `SELECT id, uri FROM table_files
          WHERE table_id = ? AND iceberg_state = 'removed' AND snapshot_id IS NOT NULL
            AND target_snapshot_id IS snapshot_id
          ORDER BY id LIMIT ?`,
    args: [tableId, limit],
  });
  return result.rows.map((row) => ({ id: Number(row.id), uri: String(row.uri) }));
}

/** Marks the files as out of the table since `deleteSnapshotId`; returns how many changed. */
export async function markRemovedFromTable(
  client: Client,
  fileIds: readonly number[],
  deleteSnapshotId: SnapshotId,
): Promise<number> {
  if (fileIds.length === 0) return 0;
  return writeTransaction(client, async (tx) => {
    const result = await tx.execute({
      sql: `UPDATE table_files SET target_snapshot_id = ?
            WHERE iceberg_state = 'removed' AND target_snapshot_id IS snapshot_id
              AND id IN (SELECT value FROM json_each(?))`,
      args: [deleteSnapshotId, JSON.stringify(fileIds)],
    });
    return result.rowsAffected;
  });
}
