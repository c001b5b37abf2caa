/**
 * Which of a table's snapshots the registry has recorded (`table_snapshots`). Committers,
 * foreign-commit adoption and the compactor's recovery ask this about the whole history of the
 * table on every commit; a recorded snapshot stays recorded while it is in the table's metadata,
 * so each client remembers the ids it has seen recorded and asks the database only about the
 * rest (the snapshots committed since). Only "recorded" is remembered, never "not recorded".
 */
import type { Client } from '@libsql/client';
import type { SnapshotId } from './rows.js';

/** Per client, per table: snapshot ids seen recorded. */
const seen = new WeakMap<Client, Map<number, Set<SnapshotId>>>();

/** How many remembered ids beyond the question's size start a pruning to the question's. */
const SLACK = 1_000;

function tableSeen(client: Client, tableId: number): Set<SnapshotId> {
  let tables = seen.get(client);
  if (!tables) {
    tables = new Map();
    seen.set(client, tables);
  }
  let known = tables.get(tableId);
  if (!known) {
    known = new Set();
    tables.set(tableId, known);
  }
  return known;
}

/** A snapshot this client just recorded: the next commit need not ask about it. */
export function rememberRecorded(client: Client, tableId: number, snapshotId: SnapshotId): void {
  tableSeen(client, tableId).add(snapshotId);
}

/** Of `snapshotIds`, those the registry has recorded for the table. */
export async function recordedSnapshotIds(
  client: Client,
  tableId: number,
  snapshotIds: readonly SnapshotId[],
): Promise<Set<SnapshotId>> {
  if (snapshotIds.length === 0) return new Set();
  let known = tableSeen(client, tableId);
  const unknown = snapshotIds.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    const result = await client.execute({
      sql: `SELECT snapshot_id FROM table_snapshots
            WHERE table_id = ? AND snapshot_id IN (SELECT value FROM json_each(?))`,
      args: [tableId, JSON.stringify(unknown)],
    });
    for (const row of result.rows) known.add(String(row.snapshot_id));
  }
  const recorded = new Set(snapshotIds.filter((id) => known.has(id)));
  // Expired snapshots are never asked about again: keep what the table still holds.
  if (known.size > snapshotIds.length + SLACK) {
    known = new Set(recorded);
    seen.get(client)?.set(tableId, known);
  }
  return recorded;
}
