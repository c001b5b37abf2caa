/**
 * Registry side of another engine's commits to an astha table: its snapshots are recorded like
 * astha's own (so each is examined once), and every data file such a snapshot added is a
 * `committed` file row of that snapshot — a row registration already made is moved there, a file
 * not registered yet gets its row now, so the notification that arrives for it later is a
 * duplicate instead of a second add. The registry then agrees with the table.
 */
import type { Client } from '@libsql/client';
import { type CommittedSnapshot, snapshotInsert } from './commitState.js';
import type { CompactedOutput } from './compactionState.js';
import { NOW_SQL } from './schema.js';
import { applyDelta } from './writeRegistrations.js';
import { writeTransaction } from './writeTransaction.js';

/** A data file another engine committed, as the registry stores it (no statistics of astha's). */
export type ForeignFile = Omit<
  CompactedOutput,
  'schemaId' | 'columnCount' | 'columnStatsJson' | 'splitOffsetsJson'
>;

/** Records the snapshot and its files in one transaction; returns how many rows were new. */
export async function adoptForeignSnapshot(
  client: Client,
  tableId: number,
  snapshot: CommittedSnapshot,
  files: readonly ForeignFile[],
): Promise<number> {
  return writeTransaction(client, async (tx) => {
    let added = 0;
    let rows = 0;
    let bytes = 0;
    for (const file of files) {
      // A registered, not yet committed row of the same object: it is in the table already.
      const moved = await tx.execute({
        sql: `UPDATE table_files SET iceberg_state = 'committed', snapshot_id = ?, target_snapshot_id = ?,
                updated_at = ${NOW_SQL}
              WHERE table_id = ? AND path = ? AND etag = ? AND iceberg_state = 'pending'`,
        args: [snapshot.snapshotId, snapshot.snapshotId, tableId, file.path, file.etag],
      });
      if (moved.rowsAffected > 0) continue;
      const inserted = await tx.execute({
        sql: `INSERT INTO table_files (table_id, path, uri, size, etag, row_count, partition_path,
                partition_values_json, iceberg_state, snapshot_id, target_snapshot_id)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'committed', ?, ?)
              ON CONFLICT (table_id, path, etag) DO NOTHING`,
        args: [
          tableId,
          file.path,
          file.uri,
          file.size,
          file.etag,
          file.rowCount,
          file.partitionPath,
          file.partitionValuesJson,
          snapshot.snapshotId,
          snapshot.snapshotId,
        ],
      });
      if (inserted.rowsAffected === 0) continue;
      added++;
      rows += file.rowCount;
      bytes += file.size;
    }
    await applyDelta(tx, tableId, { rows, bytes, files: added });
    await tx.execute(snapshotInsert(tableId, snapshot));
    return added;
  });
}
