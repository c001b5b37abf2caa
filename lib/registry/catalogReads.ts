/**
 * Catalogue reads for people (the CLI's `tables`, `show`, `status`): every table with its
 * namespace and file counts, a table's snapshots, recent rejections.
 */
import type { Client } from '@libsql/client';
import type { RejectedObjectRow, TableRow, TableSnapshotRow } from './rows.js';

export interface TableListing extends TableRow {
  namespace: string;
  pending_files: number;
  committed_files: number;
  rejected_files: number;
}

export async function listTables(client: Client): Promise<TableListing[]> {
  const result = await client.execute(
    `SELECT t.*, n.name AS namespace,
            (SELECT count(*) FROM table_files f WHERE f.table_id = t.id AND f.iceberg_state IN ('pending', 'committing')) AS pending_files,
            (SELECT count(*) FROM table_files f WHERE f.table_id = t.id AND f.iceberg_state = 'committed') AS committed_files,
            (SELECT count(*) FROM table_files f WHERE f.table_id = t.id AND f.iceberg_state = 'rejected') AS rejected_files
       FROM tables t JOIN namespaces n ON n.id = t.namespace_id
      ORDER BY n.name, t.name`,
  );
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

export async function recentRejections(client: Client, limit = 20): Promise<RejectedObjectRow[]> {
  const result = await client.execute({
    sql: 'SELECT * FROM rejected_objects ORDER BY id DESC LIMIT ?',
    args: [limit],
  });
  return result.rows.map((row) => ({ ...row }) as unknown as RejectedObjectRow);
}
