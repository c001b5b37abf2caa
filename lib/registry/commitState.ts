/**
 * The registry side of the Iceberg commit protocol (DESIGN.md, "Commit protocol" step 5).
 * A committer first CLAIMS pending files for a snapshot id it chose (`pending → committing`,
 * `target_snapshot_id`), only then writes metadata, and afterwards RECORDS the commit in one
 * transaction (table pointer, snapshot row, files `committed`). Claims are taken in one UPDATE
 * on rows still pending, so racing committers always claim disjoint sets.
 */
import type { Client, InStatement, ResultSet, Row } from '@libsql/client';
import type { SnapshotId, TableFileRow } from './rows.js';
import { rememberRecorded } from './recordedSnapshots.js';
import { writeBatch, writeTransaction } from './writeTransaction.js';

/** A claimed file with the statistics its `data_file` is built from. */
export interface ClaimedFile {
  file: TableFileRow;
  stats: {
    record_count: number;
    file_size: number;
    column_stats_json: string;
    split_offsets_json: string | null;
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Who took each open claim and when it is dead at the latest (recovery.ts judges them). A row
 * lives exactly as long as its claim: written with it, deleted when it is recorded or released.
 */
const CLAIMS_DDL = `CREATE TABLE IF NOT EXISTS commit_claims (
  table_id INTEGER NOT NULL,
  target_snapshot_id TEXT NOT NULL,
  owner TEXT NOT NULL,
  expires_at_ms INTEGER,
  PRIMARY KEY (table_id, target_snapshot_id))`;
const claimsReady = new WeakSet<Client>();

async function ensureClaims(client: Client): Promise<void> {
  if (claimsReady.has(client)) return;
  await client.execute(CLAIMS_DDL);
  claimsReady.add(client);
}

const deleteClaim = (tableId: number, targetSnapshotId: SnapshotId) => ({
  sql: 'DELETE FROM commit_claims WHERE table_id = ? AND target_snapshot_id = ?',
  args: [tableId, targetSnapshotId],
});

/** The committer a claim is taken for: its owner token and, if bounded, the latest it can live. */
export interface ClaimHolder {
  owner: string;
  expiresAtMs?: number;
}

export interface PendingClaim {
  tableId: number;
  targetSnapshotId: SnapshotId;
  limit: number;
  nowMs: number;
  holder?: ClaimHolder;
}

/**
 * Claims up to `limit` of the table's pending files (oldest first) for `targetSnapshotId`.
 * Files without statistics are not claimable (registration writes both in one transaction).
 */
export async function claimPendingFiles(client: Client, claim: PendingClaim): Promise<number> {
  await ensureClaims(client);
  const [claimed] = await writeBatch(client, claimStatements(claim));
  return claimed?.rowsAffected ?? 0;
}

/**
 * `claimPendingFiles` answered with the files it claimed, and with the results of `reads`, run
 * in the same request after the claim (what the caller would otherwise ask next, one round trip
 * each).
 */
export async function claimAndReadPendingFiles(
  client: Client,
  claim: PendingClaim,
  reads: readonly InStatement[] = [],
): Promise<{ files: ClaimedFile[]; reads: ResultSet[] }> {
  await ensureClaims(client);
  const statements = [
    ...claimStatements(claim),
    claimedFilesStatement(claim.tableId, claim.targetSnapshotId),
  ];
  const results = await writeBatch(client, [...statements, ...reads]);
  return {
    files: claimedFilesFrom(results[statements.length - 1]!),
    reads: results.slice(statements.length),
  };
}

function claimStatements(claim: PendingClaim): InStatement[] {
  const statements: InStatement[] = [
    {
      sql: `UPDATE table_files SET iceberg_state = 'committing', target_snapshot_id = ?, updated_at = ?
            WHERE id IN (
              SELECT f.id FROM table_files f
              WHERE f.table_id = ? AND f.iceberg_state = 'pending'
                AND EXISTS (SELECT 1 FROM file_statistics s WHERE s.file_id = f.id)
              ORDER BY f.id LIMIT ?)
            AND iceberg_state = 'pending'`,
      args: [claim.targetSnapshotId, iso(claim.nowMs), claim.tableId, claim.limit],
    },
  ];
  if (claim.holder) {
    // Who holds the claim, recorded only when it claimed something (one request: no answer in between).
    statements.push({
      sql: `INSERT OR REPLACE INTO commit_claims (table_id, target_snapshot_id, owner, expires_at_ms)
            SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM table_files
              WHERE table_id = ? AND iceberg_state = 'committing' AND target_snapshot_id = ?)`,
      args: [
        claim.tableId,
        claim.targetSnapshotId,
        claim.holder.owner,
        claim.holder.expiresAtMs ?? null,
        claim.tableId,
        claim.targetSnapshotId,
      ],
    });
  }
  return statements;
}

/** The files still claimed for `targetSnapshotId` (a claim can be lost to recovery: fencing). */
export async function claimedFiles(
  client: Client,
  tableId: number,
  targetSnapshotId: SnapshotId,
): Promise<ClaimedFile[]> {
  return claimedFilesFrom(await client.execute(claimedFilesStatement(tableId, targetSnapshotId)));
}

function claimedFilesStatement(tableId: number, targetSnapshotId: SnapshotId): InStatement {
  return {
    sql: `SELECT f.*, s.record_count AS s_record_count, s.file_size AS s_file_size,
            s.column_stats_json AS s_column_stats_json, s.split_offsets_json AS s_split_offsets_json
          FROM table_files f JOIN file_statistics s ON s.file_id = f.id
          WHERE f.table_id = ? AND f.iceberg_state = 'committing' AND f.target_snapshot_id = ?
          ORDER BY f.id`,
    args: [tableId, targetSnapshotId],
  };
}

function claimedFilesFrom(result: ResultSet): ClaimedFile[] {
  const fileColumns = result.columns.filter((c) => !c.startsWith('s_'));
  return result.rows.map((row) => ({
    file: Object.fromEntries(fileColumns.map((c) => [c, row[c] ?? null])) as unknown as TableFileRow,
    stats: {
      record_count: Number(row.s_record_count),
      file_size: Number(row.s_file_size),
      column_stats_json: String(row.s_column_stats_json),
      split_offsets_json: row.s_split_offsets_json == null ? null : String(row.s_split_offsets_json),
    },
  }));
}

/** Open claims of a table, one per target snapshot, with the time of the newest claim. */
export interface OpenClaim {
  targetSnapshotId: SnapshotId;
  files: number;
  claimedAtMs: number;
  /** Who claimed (absent for claims taken before owners were recorded). */
  owner?: string;
  /** When the owner is dead at the latest, if bounded. */
  expiresAtMs?: number;
}

export async function openClaims(client: Client, tableId: number): Promise<OpenClaim[]> {
  await ensureClaims(client);
  const result = await client.execute({
    sql: `SELECT f.target_snapshot_id, count(*) AS files, max(f.updated_at) AS claimed_at,
            max(c.owner) AS owner, max(c.expires_at_ms) AS expires_at_ms
          FROM table_files f LEFT JOIN commit_claims c
            ON c.table_id = f.table_id AND c.target_snapshot_id = f.target_snapshot_id
          WHERE f.table_id = ? AND f.iceberg_state = 'committing' GROUP BY f.target_snapshot_id`,
    args: [tableId],
  });
  return result.rows.map((row: Row) => ({
    targetSnapshotId: String(row.target_snapshot_id),
    files: Number(row.files),
    claimedAtMs: Date.parse(String(row.claimed_at)),
    ...(row.owner == null ? {} : { owner: String(row.owner) }),
    ...(row.expires_at_ms == null ? {} : { expiresAtMs: Number(row.expires_at_ms) }),
  }));
}

/** Returns claims for a snapshot that never reached the table to `pending`; the count released. */
export async function releaseClaims(
  client: Client,
  release: { tableId: number; targetSnapshotId: SnapshotId; nowMs: number },
): Promise<number> {
  await ensureClaims(client);
  return writeTransaction(client, async (tx) => {
    const result = await tx.execute({
      sql: `UPDATE table_files SET iceberg_state = 'pending', target_snapshot_id = NULL, updated_at = ?
            WHERE table_id = ? AND iceberg_state = 'committing' AND target_snapshot_id = ?`,
      args: [iso(release.nowMs), release.tableId, release.targetSnapshotId],
    });
    await tx.execute(deleteClaim(release.tableId, release.targetSnapshotId));
    return result.rowsAffected;
  });
}

/** The table's Iceberg pointer: moved forward only, so a late writer never moves it back. */
export interface TablePointer {
  tableId: number;
  metadataLocation: string;
  metadataVersion: number;
  currentSnapshotId: SnapshotId | null;
}

export interface CommittedSnapshot {
  snapshotId: SnapshotId;
  sequenceNumber: number;
  parentSnapshotId: SnapshotId | null;
  operation: 'append' | 'replace' | 'overwrite' | 'delete';
  manifestList: string;
  summaryJson: string;
  /** The metadata file that first contained the snapshot. */
  metadataLocation: string;
  timestampMs: number;
}

export interface CommitRecord {
  pointer: TablePointer;
  snapshot: CommittedSnapshot;
  /**
   * The files in the snapshot. Given: exactly these ids (pending or committing, whatever their
   * target now is, so a committer that lost its claim still cannot add them twice). Omitted
   * (recovery, which does not know them): the files claimed for the snapshot.
   */
  fileIds?: number[];
  nowMs: number;
}

/** Records a commit in one transaction; returns the number of files marked committed. */
export async function recordCommit(client: Client, record: CommitRecord): Promise<number> {
  return (await recordCommitAndRead(client, record)).committed;
}

/** `recordCommit` with the results of `reads`, run in the same request after the record. */
export async function recordCommitAndRead(
  client: Client,
  record: CommitRecord,
  reads: readonly InStatement[] = [],
): Promise<{ committed: number; reads: ResultSet[] }> {
  const { pointer, snapshot, nowMs } = record;
  const tableId = pointer.tableId;
  await ensureClaims(client);
  const files: InStatement =
    record.fileIds === undefined
      ? {
          sql: `UPDATE table_files SET iceberg_state = 'committed', snapshot_id = ?, updated_at = ?
                WHERE table_id = ? AND iceberg_state = 'committing' AND target_snapshot_id = ?`,
          args: [snapshot.snapshotId, iso(nowMs), tableId, snapshot.snapshotId],
        }
      : {
          sql: `UPDATE table_files SET iceberg_state = 'committed', snapshot_id = ?, target_snapshot_id = ?,
                  updated_at = ?
                WHERE table_id = ? AND iceberg_state IN ('pending', 'committing')
                  AND id IN (SELECT value FROM json_each(?))`,
          args: [
            snapshot.snapshotId,
            snapshot.snapshotId,
            iso(nowMs),
            tableId,
            JSON.stringify(record.fileIds),
          ],
        };
  // One request (no statement needs another's answer): a round trip per statement adds up on sqld.
  const statements = [
    pointerUpdate(pointer, nowMs),
    snapshotInsert(tableId, snapshot),
    deleteClaim(tableId, snapshot.snapshotId),
    files,
  ];
  const results = await writeBatch(client, [...statements, ...reads]);
  rememberRecorded(client, tableId, snapshot.snapshotId);
  return { committed: results[3]?.rowsAffected ?? 0, reads: results.slice(statements.length) };
}

/** Moves the table pointer forward (table creation, schema or property commits). */
export async function recordTablePointer(
  client: Client,
  pointer: TablePointer,
  nowMs: number,
): Promise<void> {
  await writeTransaction(client, async (tx) => {
    await tx.execute(pointerUpdate(pointer, nowMs));
  });
}

/** The statement that moves a table's pointer forward (never back). */
export function pointerUpdate(pointer: TablePointer, nowMs: number) {
  return {
    sql: `UPDATE tables SET metadata_location = ?, metadata_version = ?, current_snapshot_id = ?, updated_at = ?
          WHERE id = ? AND (metadata_version IS NULL OR metadata_version < ?)`,
    args: [
      pointer.metadataLocation,
      pointer.metadataVersion,
      pointer.currentSnapshotId,
      iso(nowMs),
      pointer.tableId,
      pointer.metadataVersion,
    ],
  };
}

/** Tables with files waiting for a commit or in one: what a refresh must look at. */
export async function tablesWithWork(client: Client): Promise<number[]> {
  const result = await client.execute(
    "SELECT DISTINCT table_id FROM table_files WHERE iceberg_state IN ('pending', 'committing') ORDER BY table_id",
  );
  return result.rows.map((row) => Number(row.table_id));
}

/** The statement that records a committed snapshot (idempotent). */
export function snapshotInsert(tableId: number, snapshot: CommittedSnapshot) {
  return {
    sql: `INSERT INTO table_snapshots (table_id, snapshot_id, sequence_number, parent_snapshot_id, operation,
            manifest_list, summary_json, metadata_location, committed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (table_id, snapshot_id) DO NOTHING`,
    args: [
      tableId,
      snapshot.snapshotId,
      snapshot.sequenceNumber,
      snapshot.parentSnapshotId,
      snapshot.operation,
      snapshot.manifestList,
      snapshot.summaryJson,
      snapshot.metadataLocation,
      iso(snapshot.timestampMs),
    ],
  };
}
