/**
 * catalog_sync's registry queries: one table as Glue should show it, and the tables a refresh
 * reconciles. Read-only; the component keeps no state of its own in the registry (Glue's
 * `astha.metadata_version` parameter records what was synced).
 */
import type { Client } from '@libsql/client';

export interface SyncSource {
  tableId: number;
  namespace: string;
  name: string;
  location: string;
  state: 'active' | 'dropped';
  metadataLocation: string | null;
  metadataVersion: number | null;
  schemaJson: string | null;
}

export async function syncSource(client: Client, tableId: number): Promise<SyncSource | undefined> {
  const result = await client.execute({
    sql: `SELECT t.id, t.name, n.name AS namespace, t.location, t.state, t.metadata_location,
                 t.metadata_version, m.schema_json
            FROM tables t JOIN namespaces n ON n.id = t.namespace_id
            LEFT JOIN table_metadata m ON m.table_id = t.id
           WHERE t.id = ?`,
    args: [tableId],
  });
  const row = result.rows[0];
  if (row === undefined) return undefined;
  return {
    tableId: Number(row.id),
    namespace: String(row.namespace),
    name: String(row.name),
    location: String(row.location),
    state: row.state === 'dropped' ? 'dropped' : 'active',
    metadataLocation: row.metadata_location === null ? null : String(row.metadata_location),
    metadataVersion: row.metadata_version === null ? null : Number(row.metadata_version),
    schemaJson: row.schema_json === null ? null : String(row.schema_json),
  };
}

/** Active tables with a committed metadata file: the ones a refresh puts in Glue. */
export async function syncableTables(client: Client): Promise<number[]> {
  const result = await client.execute(
    "SELECT id FROM tables WHERE state = 'active' AND metadata_location IS NOT NULL ORDER BY id",
  );
  return result.rows.map((row) => Number(row.id));
}
