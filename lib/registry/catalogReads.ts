/**
 * Catalogue reads for people (the CLI's `tables`, `show`, `status`): every table with its
 * namespace and file counts, a table's snapshots, recent rejections.
 */
import type { Client } from '@libsql/client';
import type { TableRow, TableSnapshotRow } from './rows.js';

export interface TableListing extends TableRow {
  namespace: string;
  pending_files: number;
  /** Rows in pending files: registered, not yet in a snapshot (`row_count` counts them too). */
  pending_rows: number;
  committed_files: number;
  /** Rows in committed files: what a reader of the current snapshot sees. */
  committed_rows: number;
  rejected_files: number;
}

/** Every table (or the one with `tableId`) with its files counted by state. */
export async function listTables(client: Client, tableId?: number): Promise<TableListing[]> {
  const count = (what: string, states: string) =>
    `(SELECT ${what} FROM table_files f WHERE f.table_id = t.id AND f.iceberg_state IN (${states}))`;
  const result = await client.execute({
    sql: `SELECT t.*, n.name AS namespace,
            ${count('count(*)', "'pending', 'committing'")} AS pending_files,
            ${count('coalesce(sum(f.row_count), 0)', "'pending', 'committing'")} AS pending_rows,
            ${count('count(*)', "'committed'")} AS committed_files,
            ${count('coalesce(sum(f.row_count), 0)', "'committed'")} AS committed_rows,
            ${count('count(*)', "'rejected'")} AS rejected_files
       FROM tables t JOIN namespaces n ON n.id = t.namespace_id
      WHERE ? IS NULL OR t.id = ?
      ORDER BY n.name, t.name`,
    args: [tableId ?? null, tableId ?? null],
  });
  return result.rows.map((row) => ({ ...row }) as unknown as TableListing);
}

export async function tableSnapshots(
  client: Client,
  tableId: number,
  limit = 50,
): Promise<TableSnapshotRow[]> {
  const result = await client.execute({
    sql: 'SELECT * FROM table_snapshots WHERE table_id = ? ORDER BY sequence_number DESC LIMIT ?',
    args: [tableId, limit],
  });
  return result.rows.map((row) => ({ ...row }) as unknown as TableSnapshotRow);
}

/** A file astha refused: a table's file (`file`) or an object outside any table (`object`). */
export interface Rejection {
  kind: 'file' | 'object';
  /** table_files.id or rejected_objects.id (separate sequences, both increasing). */
  id: number;
  /** `namespace.table`, or null for an object outside any table. */
  table: string | null;
  /** The object's key in its bucket (a table file: its path in the warehouse). */
  key: string;
  reason: string;
  at: string;
}

export interface RejectionQuery {
  limit: number;
  /** Only this table's files. */
  tableId?: number;
  /** Only rejections newer than these ids (what a watcher has not shown yet). */
  after?: { fileId: number; objectId: number };
}

/** Rejected files and objects, newest first. */
export async function listRejections(client: Client, query: RejectionQuery): Promise<Rejection[]> {
  const after = query.after ?? { fileId: 0, objectId: 0 };
  const files = `SELECT 'file' AS kind, f.id, n.name || '.' || t.name AS tbl, f.path AS key,
                        f.reject_reason AS reason, f.updated_at AS at
                   FROM table_files f JOIN tables t ON t.id = f.table_id JOIN namespaces n ON n.id = t.namespace_id
                  WHERE f.iceberg_state = 'rejected' AND f.id > ? AND (? IS NULL OR f.table_id = ?)`;
  const objects = `SELECT 'object' AS kind, id, NULL AS tbl, key, reason, at FROM rejected_objects
                    WHERE id > ? AND ? IS NULL`;
  const table = query.tableId ?? null;
  const result = await client.execute({
    sql: `SELECT * FROM (${files} UNION ALL ${objects}) ORDER BY at DESC, id DESC LIMIT ?`,
    args: [after.fileId, table, table, after.objectId, table, query.limit],
  });
  return result.rows.map((row) => ({
    kind: row.kind === 'file' ? 'file' : 'object',
    id: Number(row.id),
    table: row.tbl === null ? null : String(row.tbl),
    key: String(row.key),
    reason: String(row.reason),
    at: String(row.at),
  }));
}

/** The state (and reject reason) of each of these table files. */
export async function fileStates(
  client: Client,
  fileIds: readonly number[],
): Promise<Map<number, { state: string; reason: string | null }>> {
  if (fileIds.length === 0) return new Map();
  const result = await client.execute({
    sql: `SELECT id, iceberg_state, reject_reason FROM table_files WHERE id IN (${fileIds.map(() => '?').join(', ')})`,
    args: [...fileIds],
  });
  return new Map(
    result.rows.map((row) => [
      Number(row.id),
      {
        state: String(row.iceberg_state),
        reason: row.reject_reason === null ? null : String(row.reject_reason),
      },
    ]),
  );
}

/**
 * Of the table's snapshots, those that list a key overwritten since (a later object was put at
 * the same key): snapshot id → how many such keys. Time travel to one of them reads each such
 * key's current bytes, not the version the snapshot was committed with.
 */
export async function snapshotsWithOverwrittenKeys(
  client: Client,
  tableId: number,
  snapshotIds: readonly string[],
): Promise<Map<string, number>> {
  if (snapshotIds.length === 0) return new Map();
  const result = await client.execute({
    sql: `SELECT s.snapshot_id, count(DISTINCT f.path) AS keys
          FROM table_snapshots s
          JOIN table_files f ON f.table_id = s.table_id AND f.snapshot_id IS NOT NULL
          JOIN table_snapshots a ON a.table_id = f.table_id AND a.snapshot_id = f.snapshot_id
          LEFT JOIN table_snapshots d ON d.table_id = f.table_id AND d.snapshot_id = f.target_snapshot_id
          WHERE s.table_id = ? AND s.snapshot_id IN (SELECT value FROM json_each(?))
            AND EXISTS (SELECT 1 FROM table_files n WHERE n.table_id = f.table_id AND n.path = f.path AND n.id > f.id)
            AND s.sequence_number >= a.sequence_number
            AND (f.target_snapshot_id IS f.snapshot_id OR s.sequence_number < d.sequence_number)
          GROUP BY s.snapshot_id`,
    args: [tableId, JSON.stringify(snapshotIds)],
  });
  return new Map(result.rows.map((row) => [String(row.snapshot_id), Number(row.keys)]));
}
