/**
 * The registry side of compaction. Planning reads the table's live committed files with their
 * statistics; after a `replace` snapshot committed, ONE write request records it: the pointer and
 * the snapshot row, the inputs `removed` with `target_snapshot_id` = the replacing snapshot
 * (so cleanup can tell "replaced by compaction" from "deleted by the user": the snapshot row
 * says `replace`), the outputs as `committed`, `astha_written = 1`, with their statistics, and
 * the table's file count and size adjusted.
 */
import type { Client, InStatement } from '@libsql/client';
import {
  entriesOf,
  inputsOf,
  lineageStatement,
  retractRemovedInputs,
  type RowSegment,
} from './compactionLineage.js';
import { type CommittedSnapshot, pointerUpdate, snapshotInsert, type TablePointer } from './commitState.js';
import { anyPendingFrom, anyPendingStatement } from './registryReads.js';
import { NOW_SQL } from './schema.js';
import { writeBatch } from './writeTransaction.js';

/** A committed file as compaction plans and commits it. */
export interface LiveFile {
  id: number;
  path: string;
  uri: string;
  size: number;
  rowCount: number;
  partitionPath: string;
  partitionValuesJson: string;
  asthaWritten: boolean;
}

/** Whether files of the table wait to be committed (appends go before more compaction). */
export async function appendsWaiting(client: Client, tableId: number): Promise<boolean> {
  return anyPendingFrom(await client.execute(anyPendingStatement(tableId)));
}

/** The table's committed (live) Parquet files, oldest first. */
export async function liveFiles(client: Client, tableId: number): Promise<LiveFile[]> {
  const result = await client.execute({
    sql: `SELECT f.id, f.path, f.uri, f.size, s.record_count, f.partition_path, f.partition_values_json,
            f.astha_written
          FROM table_files f JOIN file_statistics s ON s.file_id = f.id
          WHERE f.table_id = ? AND f.iceberg_state = 'committed' AND lower(f.file_format) = 'parquet'
          ORDER BY f.id`,
    args: [tableId],
  });
  return result.rows.map((row) => ({
    id: Number(row.id),
    path: String(row.path),
    uri: String(row.uri),
    size: Number(row.size),
    rowCount: Number(row.record_count),
    partitionPath: String(row.partition_path),
    partitionValuesJson: String(row.partition_values_json),
    asthaWritten: Number(row.astha_written) === 1,
  }));
}

/** A file compaction wrote, with what `file_statistics` needs. */
export interface CompactedOutput {
  path: string;
  uri: string;
  size: number;
  etag: string;
  rowCount: number;
  partitionPath: string;
  partitionValuesJson: string;
  schemaId: number;
  columnCount: number;
  columnStatsJson: string;
  splitOffsetsJson: string | null;
  /** Where its rows came from (lineage); absent when unknown (recovered before lineage existed). */
  segments?: readonly RowSegment[];
}

export interface CompactionRecord {
  tableId: number;
  pointer: TablePointer;
  snapshot: CommittedSnapshot;
  /** `uri`s of the replaced files (still `committed` in the registry). */
  inputUris: readonly string[];
  outputs: readonly CompactedOutput[];
  nowMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Records a committed replace in ONE write request (the inputs' lineage is read before it):
 * against sqld a write lock is held for the server's run of the batch, not a round trip per
 * statement, so appends and registrations never queue behind a compaction's bookkeeping.
 * Idempotent: a second call (recovery after a lost response) finds the inputs already removed
 * and the outputs already registered, and changes nothing.
 */
export async function recordCompaction(client: Client, record: CompactionRecord): Promise<void> {
  const { tableId, pointer, snapshot, nowMs } = record;
  const inputLineage = await entriesOf(
    client,
    record.outputs.flatMap((o) => inputsOf(o.segments ?? [])),
  );
  const inputs = JSON.stringify(record.inputUris);
  const outputs = JSON.stringify(
    record.outputs.map((o) => [
      o.path,
      o.uri,
      o.size,
      o.etag,
      o.rowCount,
      o.partitionPath,
      o.partitionValuesJson,
      o.schemaId,
      o.columnCount,
      o.columnStatsJson,
      o.splitOffsetsJson,
    ]),
  );
  const statements: InStatement[] = [
    // Same pointer and snapshot statements as an append, so the two can never drift apart.
    pointerUpdate({ ...pointer, tableId }, nowMs),
    snapshotInsert(tableId, snapshot),
    {
      // Outputs not registered yet (none on a second call) and inputs still live: what the
      // table's counters gain and lose, taken before the statements after this one change either.
      sql: `UPDATE tables SET row_count = row_count + added.rows - removed.rows,
              total_size = total_size + added.bytes - removed.bytes,
              file_count = file_count + added.files - removed.files, last_modified = ${NOW_SQL}
            FROM (SELECT coalesce(sum(j.value ->> 4), 0) AS rows, coalesce(sum(j.value ->> 2), 0) AS bytes,
                    count(*) AS files
                  FROM json_each(?) j WHERE NOT EXISTS (SELECT 1 FROM table_files f
                    WHERE f.table_id = ? AND f.path = j.value ->> 0 AND f.etag = j.value ->> 3)) AS added,
                 (SELECT coalesce(sum(row_count), 0) AS rows, coalesce(sum(size), 0) AS bytes, count(*) AS files
                  FROM table_files WHERE table_id = ? AND iceberg_state = 'committed'
                    AND uri IN (SELECT value FROM json_each(?))) AS removed
            WHERE tables.id = ?`,
      args: [outputs, tableId, tableId, inputs, tableId],
    },
    {
      sql: `UPDATE table_files SET iceberg_state = 'removed', target_snapshot_id = ?, updated_at = ?
            WHERE table_id = ? AND iceberg_state = 'committed' AND uri IN (SELECT value FROM json_each(?))`,
      args: [snapshot.snapshotId, iso(nowMs), tableId, inputs],
    },
    {
      sql: `INSERT INTO table_files (table_id, path, uri, size, etag, row_count, partition_path,
              partition_values_json, file_format, schema_id, iceberg_state, target_snapshot_id, snapshot_id,
              astha_written, registered_at, updated_at)
            SELECT ?, v ->> 0, v ->> 1, v ->> 2, v ->> 3, v ->> 4, v ->> 5, v ->> 6, 'parquet', v ->> 7,
              'committed', ?, ?, 1, ?, ?
            FROM (SELECT value AS v FROM json_each(?) ORDER BY key) WHERE true
            ON CONFLICT (table_id, path, etag) DO NOTHING`,
      args: [tableId, snapshot.snapshotId, snapshot.snapshotId, iso(nowMs), iso(nowMs), outputs],
    },
    {
      // Statistics of the outputs that have none: the ones just inserted.
      sql: `INSERT INTO file_statistics (file_id, table_id, record_count, file_size, column_count,
              column_stats_json, split_offsets_json)
            SELECT f.id, f.table_id, j.value ->> 4, j.value ->> 2, j.value ->> 8, j.value ->> 9, j.value ->> 10
            FROM json_each(?) j JOIN table_files f
              ON f.table_id = ? AND f.path = j.value ->> 0 AND f.etag = j.value ->> 3
            WHERE NOT EXISTS (SELECT 1 FROM file_statistics s WHERE s.file_id = f.id)`,
      args: [outputs, tableId],
    },
    ...record.outputs
      .filter((o) => (o.segments ?? []).length > 0)
      .map((o) => lineageStatement(tableId, o, o.segments ?? [], inputLineage)),
    // An input removed by its user between the commit and now: its rows are in an output.
    retractRemovedInputs(tableId, snapshot.snapshotId, record.inputUris, iso(nowMs)),
  ];
  await writeBatch(client, statements);
}

/** Active tables that have committed files: what a compactor refresh looks at. */
export async function tablesWithCommittedFiles(client: Client): Promise<number[]> {
  const result = await client.execute(
    `SELECT DISTINCT f.table_id FROM table_files f JOIN tables t ON t.id = f.table_id
      WHERE t.state = 'active' AND f.iceberg_state = 'committed' ORDER BY f.table_id`,
  );
  return result.rows.map((row) => Number(row.table_id));
}

/** Which of `uris` are no longer `committed` files of the table. */
export async function notLive(client: Client, tableId: number, uris: readonly string[]): Promise<string[]> {
  const result = await client.execute({
    sql: `SELECT j.value AS uri FROM json_each(?) j
          WHERE NOT EXISTS (SELECT 1 FROM table_files f
                            WHERE f.table_id = ? AND f.uri = j.value AND f.iceberg_state = 'committed')`,
    args: [JSON.stringify(uris), tableId],
  });
  return result.rows.map((row) => String(row.uri));
}

/** The partition the given files (one compaction's inputs) live in; '' and '{}' if none is known. */
export async function partitionOfFiles(
  client: Client,
  tableId: number,
  uris: readonly string[],
): Promise<{ partitionPath: string; partitionValuesJson: string }> {
  const result = await client.execute({
    sql: `SELECT partition_path, partition_values_json FROM table_files
          WHERE table_id = ? AND uri IN (SELECT value FROM json_each(?)) LIMIT 1`,
    args: [tableId, JSON.stringify(uris)],
  });
  const row = result.rows[0];
  return row
    ? { partitionPath: String(row.partition_path), partitionValuesJson: String(row.partition_values_json) }
    : { partitionPath: '', partitionValuesJson: '{}' };
}
