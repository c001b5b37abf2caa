/**
 * The registry reads the REST catalog answers from. A table is visible to engines once it
 * has a committed metadata location and is not dropped; namespaces are one level deep (astha's
 * warehouse layout), so a multi-level namespace never exists.
 */
import type { Client } from '@libsql/client';

export interface NamespaceEntry {
  name: string;
  properties: Record<string, string>;
}

export interface CatalogTable {
  name: string;
  metadataLocation: string;
}

const VISIBLE = "t.state = 'active' AND t.metadata_location IS NOT NULL";

export async function namespaceNamed(client: Client, name: string): Promise<NamespaceEntry | undefined> {
  const result = await client.execute({
    sql: 'SELECT name, properties_json FROM namespaces WHERE name = ?',
    args: [name],
  });
  const row = result.rows[0];
  if (!row) return undefined;
  return { name: String(row.name), properties: stringProperties(String(row.properties_json ?? '{}')) };
}

/** Namespace names after `after`, in order; `limit` undefined for all. */
export async function namespaceNames(client: Client, after: string, limit?: number): Promise<string[]> {
  const result = await client.execute({
    sql: `SELECT name FROM namespaces WHERE name > ? ORDER BY name${limit === undefined ? '' : ' LIMIT ?'}`,
    args: limit === undefined ? [after] : [after, limit],
  });
  return result.rows.map((row) => String(row.name));
}

/** Visible table names of a namespace after `after`, in order. */
export async function tableNames(
  client: Client,
  namespace: string,
  after: string,
  limit?: number,
): Promise<string[]> {
  const result = await client.execute({
    sql: `SELECT t.name FROM tables t JOIN namespaces n ON n.id = t.namespace_id
           WHERE n.name = ? AND t.name > ? AND ${VISIBLE}
           ORDER BY t.name${limit === undefined ? '' : ' LIMIT ?'}`,
    args: limit === undefined ? [namespace, after] : [namespace, after, limit],
  });
  return result.rows.map((row) => String(row.name));
}

export async function visibleTable(
  client: Client,
  namespace: string,
  name: string,
): Promise<CatalogTable | undefined> {
  const result = await client.execute({
    sql: `SELECT t.name, t.metadata_location FROM tables t JOIN namespaces n ON n.id = t.namespace_id
           WHERE n.name = ? AND t.name = ? AND ${VISIBLE}`,
    args: [namespace, name],
  });
  const row = result.rows[0];
  return row ? { name: String(row.name), metadataLocation: String(row.metadata_location) } : undefined;
}

/** Namespace properties as the spec's string map (non-string values are rendered as JSON). */
function stringProperties(json: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  return Object.fromEntries(
    Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}
