/**
 * Registry side of removing committed files from Iceberg (S3 `ObjectRemoved`): a `removed` row
 * that still carries the snapshot that added it (`target_snapshot_id = snapshot_id`) is still in
 * the table; once a `delete` snapshot (or a check that it is gone) took it out,
 * `target_snapshot_id` names that delete snapshot.
 */
import type { Client, InStatement, ResultSet } from '@libsql/client';
import type { SnapshotId } from './rows.js';
import { writeTransaction } from './writeTransaction.js';

export interface RemovedInTable {
  id: number;
  uri: string;
}

/**
 * Removed files still in the table that a `delete` snapshot must take out: all but the older
 * versions of keys whose new version is pending or being committed, which leave the table in
 * that version's own `overwrite` snapshot (`replacedBy`), so readers never see the key missing.
 */
export async function removedStillInTable(
  client: Client,
  tableId: number,
  limit = 1000,
): Promise<RemovedInTable[]> {
  const result = await client.execute({
    // The partial index holds only these rows; without statistics the planner would read every removed file.
    sql: `SELECT f.id, f.uri FROM table_files f INDEXED BY table_files_removal_uncommitted
          WHERE f.table_id = ? AND f.iceberg_state = 'removed' AND f.snapshot_id IS NOT NULL
            AND f.target_snapshot_id IS f.snapshot_id
            AND NOT EXISTS (SELECT 1 FROM table_files n WHERE n.table_id = f.table_id AND n.path = f.path
                              AND n.id > f.id AND n.iceberg_state IN ('pending', 'committing'))
          ORDER BY f.id LIMIT ?`,
    args: [tableId, limit],
  });
  return result.rows.map((row) => ({ id: Number(row.id), uri: String(row.uri) }));
}

/** Older versions, still in the table, of the keys whose new versions are claimed for `targetSnapshotId`. */
export async function replacedBy(
  client: Client,
  tableId: number,
  targetSnapshotId: SnapshotId,
): Promise<RemovedInTable[]> {
  return replacedByFrom(await client.execute(replacedByStatement(tableId, targetSnapshotId)));
}

/** The read of `replacedBy`, for a batch that carries it beside the claim. */
export function replacedByStatement(tableId: number, targetSnapshotId: SnapshotId): InStatement {
  return {
    // From the claim's few files to the versions of their keys (CROSS JOIN fixes the order; the
    // unary + keeps f off the state index): not through every removed file of the table.
    sql: `SELECT DISTINCT f.id, f.uri FROM table_files n
          CROSS JOIN table_files f ON f.table_id = n.table_id AND f.path = n.path AND f.id < n.id
          WHERE n.table_id = ? AND n.iceberg_state = 'committing' AND n.target_snapshot_id = ?
            AND +f.iceberg_state = 'removed' AND f.snapshot_id IS NOT NULL AND f.target_snapshot_id IS f.snapshot_id
          ORDER BY f.id`,
    args: [tableId, targetSnapshotId],
  };
}

export function replacedByFrom(result: ResultSet): RemovedInTable[] {
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
