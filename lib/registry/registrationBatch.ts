/**
 * Registration in ONE request: the common case (new files of existing active tables, no schema
 * to evolve, no older version to supersede, nothing to reject) read outside any transaction and
 * written as one write batch whose every statement holds only while what was read still holds
 * (the tables' definitions, no other version of the keys). Against sqld or Turso a write lock is
 * then held for the server's run of the batch, not across a round trip per statement, so
 * concurrent registrations, commits and drain passes stop queueing behind each other.
 *
 * Anything else, or a batch whose condition no longer held, returns `undefined` with nothing
 * written: the caller takes the transactional path (writeRegistrations.ts), which decides again.
 */
import type { Client, InStatement, Transaction } from '@libsql/client';
import { type TableState, loadTables } from './groupTables.js';
import type { RegistrationPlan } from './planRegistration.js';
import {
  decide,
  FILE_ROW_COLUMNS,
  type FilePlan,
  type FileRow,
  fileKey,
  fileRowValues,
  olderVersions,
  type RegistrationFaults,
  type RegistrationOutcome,
  STATISTICS_COLUMNS,
  sortPlans,
  statisticsValues,
} from './registrationGroup.js';
import { NOW_SQL } from './schema.js';
import { type SqlCondition, writeBatch } from './writeTransaction.js';

/** Thrown by the reads-only transaction stand-in when deciding would have to write. */
class NeedsTransaction extends Error {}

/** Statistics rows per statement (eight parameters a row, bound: the statistics are the bulk). */
const STATISTICS_PER_STATEMENT = 500;

export async function registerInOneBatch(
  client: Client,
  plans: readonly RegistrationPlan[],
  faults: Pick<RegistrationFaults, 'afterReads'> = {},
): Promise<RegistrationOutcome[] | undefined> {
  const { outcomes, filePlans, rejections } = sortPlans(plans);
  // An object outside any table is recorded as a rejection: the transaction's work.
  if (rejections.length > 0) return undefined;
  const tables = await loadTables(
    client,
    filePlans.map((p) => p.plan.location),
  );
  // Files registered before planning are duplicates already (its read); one registered since
  // breaks the batch's unique key, and the transaction decides again.
  const existing = new Map<string, number>();
  let rows: FileRow[];
  try {
    rows = await decide(NO_WRITES, filePlans, tables, existing, outcomes, rejections);
  } catch (error) {
    if (error instanceof NeedsTransaction) return undefined;
    throw error;
  }
  if (rejections.length > 0 || rows.some((r) => r.reason !== undefined) || rows.length === 0)
    return undefined;
  // Not read beforehand: an older version of a key (an overwrite, the transaction's work) makes
  // the batch's condition false, and it writes nothing.
  const older = olderVersions(rows);
  await faults.afterReads?.();

  const unchanged = stillAsRead(rows, older);
  const statements: InStatement[] = [
    {
      sql: `INSERT INTO table_files (${FILE_ROW_COLUMNS})
            SELECT ${FILE_ROW_COLUMNS.split(', ')
              .map((_, i) => `v ->> ${i}`)
              .join(', ')}
            FROM (SELECT value AS v FROM json_each(?) ORDER BY key) WHERE ${unchanged.sql}
            RETURNING id, table_id, path, etag`,
      args: [JSON.stringify(rows.map(fileRowValues)), ...unchanged.args],
    },
    ...statisticsStatements(rows, unchanged),
    ...deltaStatements(rows, unchanged),
  ];
  const [inserted] = await writeBatch(client, statements);
  // The condition is the same for every statement of the one transaction: all rows or none.
  if (!inserted || inserted.rows.length !== rows.length) return undefined;
  const ids = new Map(
    inserted.rows.map((r) => [fileKey(Number(r.table_id), String(r.path), String(r.etag)), Number(r.id)]),
  );
  for (const row of rows) {
    outcomes[row.index] = {
      object: row.plan.object,
      status: 'registered',
      tableId: row.table.id,
      fileId: ids.get(fileKey(row.table.id, row.plan.location.path, row.plan.object.etag))!,
      tableCreated: false,
      schemaEvolved: false,
    };
  }
  // Duplicates of a file first written in this batch learn its id now.
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.status !== 'duplicate' || outcome.fileId !== 0) continue;
    const plan = plans[index] as FilePlan;
    outcomes[index] = {
      ...outcome,
      fileId: ids.get(fileKey(outcome.tableId, plan.location.path, plan.object.etag)) ?? 0,
    };
  }
  return outcomes;
}

/** What `decide` gets to write with here: its first write (a new table, a schema change) ends the fast path. */
const NO_WRITES: Pick<Transaction, 'execute'> = {
  execute: () => Promise.reject(new NeedsTransaction('registration needs a transaction')),
};

/**
 * True while every table of the rows is as read (active, same bucket, schema, last column id and
 * partition spec) and no other version of their keys has appeared.
 */
function stillAsRead(rows: readonly FileRow[], older: { sql: string; args: string[] }): SqlCondition {
  const tables = [...new Map(rows.map((r) => [r.table.id, r.table])).values()];
  const asRead = tables.map((t: TableState) => [t.id, t.bucket, t.schemaJson, t.lastColumnId, t.specJson]);
  return {
    sql: `(SELECT count(*) FROM json_each(?) j
             JOIN tables t ON t.id = j.value ->> 0 AND t.state = 'active' AND t.bucket = j.value ->> 1
             JOIN table_metadata m ON m.table_id = t.id AND m.schema_json = j.value ->> 2
               AND m.last_column_id = j.value ->> 3 AND m.partition_spec_json = j.value ->> 4) = ?
          AND NOT EXISTS (${older.sql})`,
    args: [JSON.stringify(asRead), tables.length, ...older.args],
  };
}

/** The rows' statistics, keyed to the file rows the same batch inserts. */
function statisticsStatements(rows: readonly FileRow[], unchanged: SqlCondition): InStatement[] {
  const statements: InStatement[] = [];
  const columns = STATISTICS_COLUMNS.split(', ');
  for (let start = 0; start < rows.length; start += STATISTICS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + STATISTICS_PER_STATEMENT);
    statements.push({
      sql: `INSERT INTO file_statistics (file_id, table_id, ${STATISTICS_COLUMNS})
            SELECT f.id, f.table_id, ${columns.map((_, i) => `v.column${i + 4}`).join(', ')}
            FROM (VALUES ${chunk.map(() => `(?, ?, ?, ${columns.map(() => '?').join(', ')})`).join(', ')}) v
            JOIN table_files f ON f.table_id = v.column1 AND f.path = v.column2 AND f.etag = v.column3
            WHERE ${unchanged.sql}`,
      args: [
        ...chunk.flatMap((row) => [
          row.table.id,
          row.plan.location.path,
          row.plan.object.etag,
          ...statisticsValues(row),
        ]),
        ...unchanged.args,
      ],
    });
  }
  return statements;
}

/** Each table's counters grow by its new files, once per batch (one `tables` CDC row per table). */
function deltaStatements(rows: readonly FileRow[], unchanged: SqlCondition): InStatement[] {
  const deltas = new Map<number, { rows: number; bytes: number; files: number }>();
  for (const row of rows) {
    const plan = row.plan as Extract<FilePlan, { kind: 'file' }>;
    const delta = deltas.get(row.table.id) ?? { rows: 0, bytes: 0, files: 0 };
    delta.rows += plan.inspection.recordCount;
    delta.bytes += plan.object.size;
    delta.files += 1;
    deltas.set(row.table.id, delta);
  }
  return [...deltas].map(([tableId, delta]) => ({
    sql: `UPDATE tables SET row_count = row_count + ?, total_size = total_size + ?, file_count = file_count + ?,
            last_modified = ${NOW_SQL} WHERE id = ? AND ${unchanged.sql}`,
    args: [delta.rows, delta.bytes, delta.files, tableId, ...unchanged.args],
  }));
}
