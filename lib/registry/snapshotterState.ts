/**
 * The registry side of the snapshotter: what the commit policy reads (pending statistics and
 * manual snapshot requests), the marks left by snapshot expiration, and when each table's
 * maintenance last ran. Its three tables are not monitored (no CDC): they are the snapshotter's
 * own bookkeeping, created on first use with `IF NOT EXISTS` so they need no migration of the
 * shared schema (they can move into one unchanged).
 */
import type { Client } from '@libsql/client';
import { NOW_SQL } from './schema.js';
import type { SnapshotId } from './rows.js';
import { writeTransaction } from './writeTransaction.js';

const STATE_DDL: readonly string[] = [
  // A manual `astha snapshot <table>`: files registered up to `requested_at` are due now.
  `CREATE TABLE IF NOT EXISTS snapshot_requests (
    table_id INTEGER PRIMARY KEY REFERENCES tables(id),
    requested_at TEXT NOT NULL
  ) STRICT`,
  // Snapshots expiration took out of the table (their table_snapshots rows are deleted): the
  // evidence cleanup needs to know a removed data file was replaced by astha's compaction.
  `CREATE TABLE IF NOT EXISTS expired_snapshots (
    table_id INTEGER NOT NULL REFERENCES tables(id),
    snapshot_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    committed_at TEXT NOT NULL,
    expired_at TEXT NOT NULL DEFAULT (${NOW_SQL}),
    PRIMARY KEY (table_id, snapshot_id)
  ) STRICT`,
  `CREATE TABLE IF NOT EXISTS table_maintenance (
    table_id INTEGER PRIMARY KEY REFERENCES tables(id),
    maintained_at TEXT NOT NULL
  ) STRICT`,
];

const ensured = new WeakSet<Client>();

/** Creates the snapshotter's tables once per client (idempotent DDL). */
export async function ensureSnapshotterState(client: Client): Promise<void> {
  if (ensured.has(client)) return;
  for (const statement of STATE_DDL) await client.execute(statement);
  ensured.add(client);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What the commit policy weighs for one table. */
export interface PendingStats {
  files: number;
  bytes: number;
  /** `registered_at` of the oldest pending file (ms), undefined when none is pending. */
  oldestMs: number | undefined;
  /** Time of an open manual request (ms), undefined when none. */
  requestedMs: number | undefined;
}

export interface TablePendingStats extends PendingStats {
  tableId: number;
  /** The table's properties as the registry holds them (`table_metadata.properties_json`). */
  propertiesJson: string;
}

const STATS_SQL = `SELECT t.id AS table_id, coalesce(m.properties_json, '{}') AS properties_json,
    count(f.id) AS files, coalesce(sum(f.size), 0) AS bytes, min(f.registered_at) AS oldest,
    r.requested_at AS requested_at
  FROM tables t
  LEFT JOIN table_metadata m ON m.table_id = t.id
  LEFT JOIN table_files f ON f.table_id = t.id AND f.iceberg_state = 'pending'
  LEFT JOIN snapshot_requests r ON r.table_id = t.id`;

function statsOfRow(row: Record<string, unknown>): TablePendingStats {
  const time = (value: unknown) => (value == null ? undefined : Date.parse(String(value)));
  return {
    tableId: Number(row.table_id),
    propertiesJson: String(row.properties_json),
    files: Number(row.files),
    bytes: Number(row.bytes),
    oldestMs: time(row.oldest),
    requestedMs: time(row.requested_at),
  };
}

/** Pending count, bytes and oldest registration of one table, with its properties. */
export async function pendingStats(client: Client, tableId: number): Promise<TablePendingStats> {
  await ensureSnapshotterState(client);
  const result = await client.execute({ sql: `${STATS_SQL} WHERE t.id = ? GROUP BY t.id`, args: [tableId] });
  const row = result.rows[0];
  if (!row)
    return { tableId, propertiesJson: '{}', files: 0, bytes: 0, oldestMs: undefined, requestedMs: undefined };
  return statsOfRow(row);
}

/** The same for every active table with pending files (what the snapshotter's tick weighs). */
export async function pendingStatsOfAll(client: Client): Promise<TablePendingStats[]> {
  await ensureSnapshotterState(client);
  const result = await client.execute(
    `${STATS_SQL} WHERE t.state = 'active' AND f.id IS NOT NULL GROUP BY t.id ORDER BY t.id`,
  );
  return result.rows.map(statsOfRow);
}

/** Records a manual snapshot request (a newer request only moves the time forward). */
export async function recordSnapshotRequest(client: Client, tableId: number, nowMs: number): Promise<void> {
  await ensureSnapshotterState(client);
  await client.execute({
    sql: `INSERT INTO snapshot_requests (table_id, requested_at) VALUES (?, ?)
          ON CONFLICT (table_id) DO UPDATE SET requested_at = max(requested_at, excluded.requested_at)`,
    args: [tableId, iso(nowMs)],
  });
}

/** Drops requests no pending file is left for (all files registered before them are committed). */
export async function clearAnsweredRequests(client: Client): Promise<number> {
  await ensureSnapshotterState(client);
  const result = await client.execute(
    `DELETE FROM snapshot_requests WHERE NOT EXISTS (
       SELECT 1 FROM table_files f WHERE f.table_id = snapshot_requests.table_id
         AND f.iceberg_state IN ('pending', 'committing') AND f.registered_at <= snapshot_requests.requested_at)`,
  );
  return result.rowsAffected;
}

/**
 * After an expiration commit: the expired snapshots' rows leave `table_snapshots` and are
 * marked in `expired_snapshots` (one transaction), so the registry lists what the table holds.
 */
export async function recordExpiredSnapshots(
  client: Client,
  tableId: number,
  snapshotIds: readonly SnapshotId[],
  nowMs: number,
): Promise<number> {
  if (snapshotIds.length === 0) return 0;
  await ensureSnapshotterState(client);
  return writeTransaction(client, async (tx) => {
    const ids = JSON.stringify(snapshotIds);
    await tx.execute({
      sql: `INSERT INTO expired_snapshots (table_id, snapshot_id, operation, committed_at, expired_at)
            SELECT table_id, snapshot_id, operation, committed_at, ? FROM table_snapshots
            WHERE table_id = ? AND snapshot_id IN (SELECT value FROM json_each(?))
            ON CONFLICT (table_id, snapshot_id) DO NOTHING`,
      args: [iso(nowMs), tableId, ids],
    });
    const deleted = await tx.execute({
      sql: 'DELETE FROM table_snapshots WHERE table_id = ? AND snapshot_id IN (SELECT value FROM json_each(?))',
      args: [tableId, ids],
    });
    return deleted.rowsAffected;
  });
}

/** The table's `table_snapshots` rows: id and sequence number. */
export async function registeredSnapshots(
  client: Client,
  tableId: number,
): Promise<{ snapshotId: SnapshotId; sequenceNumber: number }[]> {
  const result = await client.execute({
    sql: 'SELECT snapshot_id, sequence_number FROM table_snapshots WHERE table_id = ? ORDER BY sequence_number',
    args: [tableId],
  });
  return result.rows.map((row) => ({
    snapshotId: String(row.snapshot_id),
    sequenceNumber: Number(row.sequence_number),
  }));
}

/** A data file compaction replaced: a candidate for deletion once no snapshot reaches it. */
export interface ReplacedDataFile {
  fileId: number;
  /** Key in the warehouse store. */
  path: string;
  uri: string;
  /** The ETag of the version that was replaced. */
  etag: string;
  replacedBy: SnapshotId;
  /** Astha wrote the object (a compaction output), so cleanup may always delete it. */
  asthaWritten: boolean;
}

/**
 * Files marked `removed` whose removing snapshot is one of astha's `replace` snapshots (live or
 * expired) committed before `beforeMs`, and compaction outputs a retraction rewrote. Files
 * removed because the object was deleted by a user (a `delete` snapshot) are not listed; of the
 * replaced user files cleanup deletes only those a table hands over (`asthaWritten` tells).
 */
export async function replacedDataFiles(
  client: Client,
  tableId: number,
  beforeMs: number,
): Promise<ReplacedDataFile[]> {
  await ensureSnapshotterState(client);
  const result = await client.execute({
    // A compaction output taken out by a retraction (rows of a deleted file left out) goes by
    // an `overwrite` or `delete`: astha wrote it, so it is astha's to delete too.
    sql: `SELECT f.id, f.path, f.uri, f.etag, f.target_snapshot_id, f.astha_written FROM table_files f
          JOIN (SELECT snapshot_id, operation FROM table_snapshots WHERE table_id = ? AND committed_at < ?
                UNION
                SELECT snapshot_id, operation FROM expired_snapshots WHERE table_id = ? AND committed_at < ?) s
            ON s.snapshot_id = f.target_snapshot_id
          WHERE f.table_id = ? AND f.iceberg_state = 'removed' AND f.snapshot_id IS NOT NULL
            AND f.target_snapshot_id <> f.snapshot_id
            AND (s.operation = 'replace' OR (f.astha_written = 1 AND s.operation IN ('overwrite', 'delete')))
          ORDER BY f.id`,
    args: [tableId, iso(beforeMs), tableId, iso(beforeMs), tableId],
  });
  return result.rows.map((row) => ({
    fileId: Number(row.id),
    path: String(row.path),
    uri: String(row.uri),
    etag: String(row.etag),
    replacedBy: String(row.target_snapshot_id),
    asthaWritten: Number(row.astha_written) === 1,
  }));
}

/**
 * Marks replaced data files as purged by astha (`table_files.purged_at`), just before cleanup
 * deletes their objects: the `ObjectRemoved` that follows is astha's own, not a user's
 * retraction. A file marked earlier (a cleanup that crashed before its delete) keeps its mark.
 */
export async function markPurged(
  client: Client,
  tableId: number,
  fileIds: readonly number[],
  nowMs: number,
): Promise<number> {
  if (fileIds.length === 0) return 0;
  const result = await client.execute({
    sql: `UPDATE table_files SET purged_at = ?, updated_at = ?
          WHERE table_id = ? AND purged_at IS NULL AND id IN (SELECT value FROM json_each(?))`,
    args: [iso(nowMs), iso(nowMs), tableId, JSON.stringify(fileIds)],
  });
  return result.rowsAffected;
}

/** Whether any `table_files` row of the table names `path` (in any state). */
export async function isRegisteredPath(client: Client, tableId: number, path: string): Promise<boolean> {
  const result = await client.execute({
    sql: 'SELECT 1 FROM table_files WHERE table_id = ? AND path = ? LIMIT 1',
    args: [tableId, path],
  });
  return result.rows.length > 0;
}

/** Active tables whose maintenance last ran before `beforeMs` (or never), oldest first. */
export async function tablesDueForMaintenance(client: Client, beforeMs: number): Promise<number[]> {
  await ensureSnapshotterState(client);
  const result = await client.execute({
    sql: `SELECT t.id FROM tables t LEFT JOIN table_maintenance m ON m.table_id = t.id
          WHERE t.state = 'active' AND t.metadata_version IS NOT NULL
            AND (m.maintained_at IS NULL OR m.maintained_at < ?)
          ORDER BY m.maintained_at IS NOT NULL, m.maintained_at, t.id`,
    args: [iso(beforeMs)],
  });
  return result.rows.map((row) => Number(row.id));
}

export async function recordMaintenance(client: Client, tableId: number, nowMs: number): Promise<void> {
  await ensureSnapshotterState(client);
  await client.execute({
    sql: `INSERT INTO table_maintenance (table_id, maintained_at) VALUES (?, ?)
          ON CONFLICT (table_id) DO UPDATE SET maintained_at = excluded.maintained_at`,
    args: [tableId, iso(nowMs)],
  });
}
