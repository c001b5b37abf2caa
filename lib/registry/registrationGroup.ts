/**
 * Writes a group of registration plans with set-based statements: whatever the group's size,
 * one query finds its tables, one its already-registered files, one multi-row INSERT writes all
 * file rows, one all statistics (lookups pass their keys as a JSON array for `json_each`).
 * libSQL's per-statement cost, not SQLite, is what limits a row-at-a-time registration.
 *
 * Decisions (which table, duplicate or not, does the schema fit) are made in JS in plan order,
 * so a batch behaves exactly like its objects registered one after another.
 */
import type { Transaction } from '@libsql/client';
import type { AsthaError } from '../errors.js';
import { markRetracted } from './compactionLineage.js';
import { columnStatsJson } from './columnStatsJson.js';
import { createTable, evolveSchema, loadTables, type TableState, tableKey } from './groupTables.js';
import type { RegistrationPlan, S3ObjectRef } from './planRegistration.js';
import { defineTable, fitFile } from './tableDefinition.js';

export type RegistrationOutcome = { object: S3ObjectRef } & (
  | { status: 'registered'; tableId: number; fileId: number; tableCreated: boolean; schemaEvolved: boolean }
  | { status: 'duplicate'; tableId: number; fileId: number }
  /** A `table_files` row in state `rejected` (fileId), or a `rejected_objects` record (rejectionId). */
  | { status: 'rejected'; reason: string; tableId?: number; fileId?: number; rejectionId?: number }
  | { status: 'ignored'; reason: string }
  /** Nothing was written; the notification should be retried (`error.retryable`). */
  | { status: 'failed'; error: AsthaError }
);

/** Fault points for tests: throwing from one undoes that object's writes (or the whole batch). */
export interface RegistrationFaults {
  afterFileRow?(fileId: number, object: S3ObjectRef): void | Promise<void>;
  beforeCommit?(): void | Promise<void>;
  /** Between the one-request path's reads and its write (another writer acting meanwhile). */
  afterReads?(): void | Promise<void>;
}

export interface Delta {
  rows: number;
  bytes: number;
  files: number;
}

type Tx = Pick<Transaction, 'execute'>;
export type FilePlan = Extract<RegistrationPlan, { kind: 'file' | 'unreadable' }>;

/** A file row to insert: accepted (`pending`) or `rejected` with a reason. */
export interface FileRow {
  index: number;
  plan: FilePlan;
  table: TableState;
  reason?: string;
  fileToTable?: Map<number, number>;
  tableCreated: boolean;
  schemaEvolved: boolean;
}

export interface Rejection {
  index: number;
  object: S3ObjectRef;
  reason: string;
}

export interface GroupResult {
  outcomes: RegistrationOutcome[];
  deltas: Map<number, Delta>;
}

export const fileKey = (tableId: number, path: string, etag: string) =>
  `${tableId}\u0000${path}\u0000${etag}`;

export async function writeRegistrationGroup(
  tx: Tx,
  plans: readonly RegistrationPlan[],
  faults: RegistrationFaults,
): Promise<GroupResult> {
  const { outcomes, filePlans, rejections } = sortPlans(plans);
  const tables = await loadTables(
    tx,
    filePlans.map((p) => p.plan.location),
  );
  const existing = await loadExistingFiles(tx, filePlans, tables);
  const rows = await decide(tx, filePlans, tables, existing, outcomes, rejections);
  const accepted = rows.filter((r) => r.reason === undefined);
  const ids = await insertFileRows(tx, rows);
  for (const row of rows) {
    const fileId = ids.get(fileKey(row.table.id, row.plan.location.path, row.plan.object.etag))!;
    outcomes[row.index] =
      row.reason === undefined
        ? {
            object: row.plan.object,
            status: 'registered',
            tableId: row.table.id,
            fileId,
            tableCreated: row.tableCreated,
            schemaEvolved: row.schemaEvolved,
          }
        : { object: row.plan.object, status: 'rejected', reason: row.reason, tableId: row.table.id, fileId };
  }
  for (const row of accepted) await faults.afterFileRow?.(fileIdOf(outcomes[row.index]!), row.plan.object);
  await insertStatistics(tx, accepted, outcomes);
  const deltas = await sumDeltas(tx, rows);
  await recordRejections(tx, rejections, outcomes);
  // Duplicates of a file first written in this group learn its id now.
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.status === 'duplicate' && outcome.fileId === 0) {
      const plan = plans[index] as FilePlan;
      outcomes[index] = {
        ...outcome,
        fileId: ids.get(fileKey(outcome.tableId, plan.location.path, plan.object.etag)) ?? 0,
      };
    }
  }
  return { outcomes, deltas };
}

/**
 * The plans by what they need: file plans to decide, objects outside any table to reject, and
 * the outcomes of those that need no write (duplicates, ignored, failed), in plan order.
 */
export function sortPlans(plans: readonly RegistrationPlan[]) {
  const outcomes: RegistrationOutcome[] = new Array(plans.length);
  const filePlans: { index: number; plan: FilePlan }[] = [];
  const rejections: Rejection[] = [];
  plans.forEach((plan, index) => {
    if (plan.kind === 'file' || plan.kind === 'unreadable') filePlans.push({ index, plan });
    else if (plan.kind === 'outside') rejections.push({ index, object: plan.object, reason: plan.reason });
    else if (plan.kind === 'duplicate')
      outcomes[index] = {
        object: plan.object,
        status: 'duplicate',
        tableId: plan.tableId,
        fileId: plan.fileId,
      };
    else if (plan.kind === 'ignored')
      outcomes[index] = { object: plan.object, status: 'ignored', reason: plan.reason };
    else outcomes[index] = { object: plan.object, status: 'failed', error: plan.error };
  });
  return { outcomes, filePlans, rejections };
}

function fileIdOf(outcome: RegistrationOutcome): number {
  return outcome.status === 'registered' ? outcome.fileId : 0;
}

/** `fileKey` → id of the files of this group already in the registry (any state). */
export async function loadExistingFiles(
  tx: Tx,
  filePlans: { plan: FilePlan }[],
  tables: Map<string, TableState>,
): Promise<Map<string, number>> {
  const keys = filePlans.flatMap(({ plan }) => {
    const table = tables.get(tableKey(plan.location));
    return table ? [[table.id, plan.location.path, plan.object.etag]] : [];
  });
  const found = new Map<string, number>();
  if (keys.length === 0) return found;
  const result = await tx.execute({
    sql: `SELECT f.id, f.table_id, f.path, f.etag FROM json_each(?) j
          JOIN table_files f ON f.table_id = j.value ->> 0 AND f.path = j.value ->> 1 AND f.etag = j.value ->> 2`,
    args: [JSON.stringify(keys)],
  });
  for (const row of result.rows)
    found.set(fileKey(Number(row.table_id), String(row.path), String(row.etag)), Number(row.id));
  return found;
}

/** Decides each file plan in order; creates tables and evolves schemas as it goes. */
export async function decide(
  tx: Tx,
  filePlans: { index: number; plan: FilePlan }[],
  tables: Map<string, TableState>,
  existing: Map<string, number>,
  outcomes: RegistrationOutcome[],
  rejections: Rejection[],
): Promise<FileRow[]> {
  const rows: FileRow[] = [];
  const seen = new Set<string>();
  const byPath = new Map<string, FileRow>();
  for (const { index, plan } of filePlans) {
    const { object, location } = plan;
    const name = tableKey(location);
    let table = tables.get(name);
    let fileToTable: Map<number, number> | undefined;
    let tableCreated = false;
    if (!table) {
      if (plan.kind === 'unreadable') {
        rejections.push({ index, object, reason: `${plan.reason} (no table to record it in)` });
        continue;
      }
      const defined = defineTable(
        plan.inspection.schema,
        location.key.partitions,
        plan.inspection.hasFieldIds,
      );
      if (!defined.ok) {
        rejections.push({ index, object, reason: defined.reason });
        continue;
      }
      table = await createTable(tx, object.bucket, location, defined.definition);
      tables.set(name, table);
      fileToTable = defined.fileToTable;
      tableCreated = true;
    }
    if (table.bucket !== object.bucket) {
      rejections.push({ index, object, reason: `table ${name} lives in bucket ${table.bucket}` });
      continue;
    }
    const key = fileKey(table.id, location.path, object.etag);
    if (existing.has(key) || seen.has(key)) {
      outcomes[index] = { object, status: 'duplicate', tableId: table.id, fileId: existing.get(key) ?? 0 };
      continue;
    }
    seen.add(key);
    const row: FileRow = { index, plan, table, tableCreated, schemaEvolved: false };
    if (table.state !== 'active') row.reason = `table ${name} is ${table.state}`;
    else if (plan.kind === 'unreadable') row.reason = plan.reason;
    else if (fileToTable) row.fileToTable = fileToTable;
    else {
      const fit = fitFile(
        table,
        plan.inspection.schema,
        location.key.partitions,
        plan.inspection.hasFieldIds,
      );
      if (!fit.ok) row.reason = fit.reason;
      else {
        if (fit.changed) {
          const schemaJson = await evolveSchema(tx, table.id, fit.schema, fit.lastColumnId);
          table = { ...table, schema: fit.schema, lastColumnId: fit.lastColumnId, schemaJson };
          tables.set(name, table);
          row.table = table;
          row.schemaEvolved = true;
        }
        row.fileToTable = fit.fileToTable;
      }
    }
    // Two versions of one key in a group: only the later one is the object S3 now holds.
    const pathKey = `${table.id}\u0000${location.path}`;
    const earlier = byPath.get(pathKey);
    if (earlier && earlier.reason === undefined && row.reason === undefined) {
      rows.splice(rows.indexOf(earlier), 1);
      outcomes[earlier.index] = {
        object: earlier.plan.object,
        status: 'ignored',
        reason: 'superseded by a later version in the same batch',
      };
    }
    if (row.reason === undefined) byPath.set(pathKey, row);
    rows.push(row);
  }
  return rows;
}

/** The `table_files` values of a row, in FILE_ROW_COLUMNS order. */
export function fileRowValues({ plan, table, reason }: FileRow): (string | number | null)[] {
  return [
    table.id,
    plan.location.path,
    plan.location.uri,
    plan.object.size,
    plan.object.etag,
    plan.kind === 'file' ? plan.inspection.recordCount : null,
    plan.location.key.partitionPath,
    JSON.stringify(Object.fromEntries(plan.location.key.partitions.map((p) => [p.column, p.value]))),
    reason === undefined ? table.schema['schema-id'] : null,
    reason === undefined ? 'pending' : 'rejected',
    reason ?? null,
  ];
}

export const FILE_ROW_COLUMNS =
  'table_id, path, uri, size, etag, row_count, partition_path, partition_values_json, schema_id, iceberg_state, reject_reason';

/** The `file_statistics` values of an accepted row after its ids, in STATISTICS_COLUMNS order. */
export function statisticsValues(row: FileRow): (string | number)[] {
  const inspection = (row.plan as Extract<FilePlan, { kind: 'file' }>).inspection;
  return [
    inspection.recordCount,
    inspection.fileSize,
    inspection.columns.length,
    JSON.stringify(columnStatsJson(inspection.columns, row.fileToTable ?? new Map())),
    JSON.stringify(inspection.splitOffsets),
  ];
}

export const STATISTICS_COLUMNS =
  'record_count, file_size, column_count, column_stats_json, split_offsets_json';

/** One INSERT for all rows, in plan order (ids follow event order). Returns `fileKey` → id. */
async function insertFileRows(tx: Tx, rows: FileRow[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  if (rows.length === 0) return ids;
  const values = rows.map(fileRowValues);
  for (let start = 0; start < values.length; start += ROWS_PER_INSERT) {
    const chunk = values.slice(start, start + ROWS_PER_INSERT);
    const result = await tx.execute({
      sql: `INSERT INTO table_files (${FILE_ROW_COLUMNS})
            VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
            RETURNING id, table_id, path, etag`,
      args: chunk.flat(),
    });
    for (const row of result.rows) {
      ids.set(fileKey(Number(row.table_id), String(row.path), String(row.etag)), Number(row.id));
    }
  }
  return ids;
}

/**
 * Rows per multi-row INSERT: at most 11 parameters a row, well under SQLite's 32766 bound
 * parameters a statement. Bound parameters rather than a JSON array: the statistics are the
 * bulk of a batch's bytes, and nesting their JSON in JSON would escape and parse it all again.
 */
export const ROWS_PER_INSERT = 1000;

async function insertStatistics(tx: Tx, accepted: FileRow[], outcomes: RegistrationOutcome[]): Promise<void> {
  if (accepted.length === 0) return;
  const values = accepted.map((row) => [
    fileIdOf(outcomes[row.index]!),
    row.table.id,
    ...statisticsValues(row),
  ]);
  for (let start = 0; start < values.length; start += ROWS_PER_INSERT) {
    const chunk = values.slice(start, start + ROWS_PER_INSERT);
    await tx.execute({
      sql: `INSERT INTO file_statistics (file_id, table_id, ${STATISTICS_COLUMNS}) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      args: chunk.flat(),
    });
  }
}

/**
 * What the group adds to each table, minus the older versions its files supersede: an overwrite
 * of a key replaces the object in S3, so the earlier file rows of that key stop counting. That
 * holds whether the new bytes were accepted or rejected: either way the old version is no longer
 * what the key holds, so it leaves the table (its removal is committed by the iceberg_updater,
 * in the new version's `overwrite` snapshot or, when there is none, a `delete`).
 */
async function sumDeltas(tx: Tx, rows: FileRow[]): Promise<Map<number, Delta>> {
  const deltas = new Map<number, Delta>();
  const add = (tableId: number, rowCount: number, bytes: number, files: number) => {
    const d = deltas.get(tableId) ?? { rows: 0, bytes: 0, files: 0 };
    deltas.set(tableId, { rows: d.rows + rowCount, bytes: d.bytes + bytes, files: d.files + files });
  };
  for (const row of rows) {
    if (row.reason !== undefined) continue;
    const plan = row.plan as Extract<FilePlan, { kind: 'file' }>;
    add(row.table.id, plan.inspection.recordCount, plan.object.size, 1);
  }
  if (rows.length === 0) return deltas;
  const older = await tx.execute(olderVersions(rows));
  // An overwritten file that compaction already replaced: its rows leave the compaction output.
  const compactedAway = older.rows.filter((r) => r.iceberg_state === 'removed').map((r) => Number(r.id));
  await markRetracted(tx, compactedAway, new Date().toISOString());
  const live = older.rows.filter((r) => r.iceberg_state !== 'removed');
  if (live.length === 0) return deltas;
  const superseded = await tx.execute({
    sql: `UPDATE table_files SET iceberg_state = 'removed' WHERE id IN (SELECT value FROM json_each(?))
          RETURNING table_id, row_count, size`,
    args: [JSON.stringify(live.map((r) => Number(r.id)))],
  });
  for (const r of superseded.rows) add(Number(r.table_id), -Number(r.row_count ?? 0), -Number(r.size), -1);
  return deltas;
}

/**
 * The other versions of the rows' keys (same table and path, another ETag) still in the table
 * or compacted away: what registering the rows supersedes. As a statement, so it also serves as
 * a condition (`NOT EXISTS`) on a write that must only happen when there are none.
 */
export function olderVersions(rows: readonly FileRow[]): { sql: string; args: string[] } {
  const keys = rows.map((r) => [r.table.id, r.plan.location.path, r.plan.object.etag]);
  // The unary + keeps SQLite off the (table_id, iceberg_state) index, which would walk every
  // pending file of the table for each key; (table_id, path, etag) finds a key's versions directly.
  return {
    sql: `SELECT f.id, f.iceberg_state FROM json_each(?) j
          JOIN table_files f ON f.table_id = j.value ->> 0 AND f.path = j.value ->> 1 AND f.etag <> j.value ->> 2
          WHERE +f.iceberg_state IN ('pending', 'committing', 'committed', 'removed')`,
    args: [JSON.stringify(keys)],
  };
}

async function recordRejections(
  tx: Tx,
  rejections: Rejection[],
  outcomes: RegistrationOutcome[],
): Promise<void> {
  if (rejections.length === 0) return;
  const values = rejections.map((r) => [
    r.object.bucket,
    r.object.key,
    r.object.etag,
    r.object.size,
    r.reason,
  ]);
  await tx.execute({
    sql: `INSERT INTO rejected_objects (bucket, key, etag, size, reason)
          SELECT v ->> 0, v ->> 1, v ->> 2, v ->> 3, v ->> 4 FROM (SELECT value AS v FROM json_each(?) ORDER BY key)
          WHERE true ON CONFLICT (bucket, key, etag) DO NOTHING`,
    args: [JSON.stringify(values)],
  });
  const ids = await tx.execute({
    sql: `SELECT r.id, r.bucket, r.key, r.etag FROM json_each(?) j
          JOIN rejected_objects r ON r.bucket = j.value ->> 0 AND r.key = j.value ->> 1 AND r.etag = j.value ->> 2`,
    args: [JSON.stringify(values)],
  });
  const byKey = new Map(
    ids.rows.map((r) => [`${String(r.bucket)}\u0000${String(r.key)}\u0000${String(r.etag)}`, Number(r.id)]),
  );
  for (const r of rejections) {
    const rejectionId = byKey.get(`${r.object.bucket}\u0000${r.object.key}\u0000${r.object.etag}`);
    outcomes[r.index] = {
      object: r.object,
      status: 'rejected',
      reason: r.reason,
      ...(rejectionId ? { rejectionId } : {}),
    };
  }
}
