/**
 * Registration, phase 2: all plans of a batch in ONE write transaction. Each object runs inside
 * its own savepoint, so an object that fails unexpectedly is undone alone and reported `failed`
 * while the rest of the batch commits. Table statistics are summed per table and written once
 * at the end of the batch: one `tables` CDC row per table per batch, not one per file.
 */
import type { Client, Transaction } from '@libsql/client';
import { AsthaError, errorMessage } from '../errors.js';
import { parseJson } from '../iceberg/spec/exactJson.js';
import {
  type PartitionSpec,
  partitionSpecFromJson,
  partitionSpecToJson,
} from '../iceberg/spec/partitionSpec.js';
import { schemaFromJson } from '../iceberg/spec/schemaJson.js';
import { sortOrderToJson } from '../iceberg/spec/sortOrder.js';
import type { Schema } from '../iceberg/spec/types.js';
import type { ParquetInspection } from '../parquet/inspectParquet.js';
import { columnStatsJson } from './columnStatsJson.js';
import type { FileLocation, RegistrationPlan, S3ObjectRef } from './planRegistration.js';
import { RegistryError } from './registryError.js';
import { NOW_SQL } from './schema.js';
import { defineTable, fitFile, type TableDefinition } from './tableDefinition.js';
import { writeTransaction } from './writeTransaction.js';

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
}

interface TableState {
  id: number;
  bucket: string;
  state: string;
  schema: Schema;
  lastColumnId: number;
  spec: PartitionSpec;
}

interface Delta {
  rows: number;
  bytes: number;
  files: number;
}

type Tx = Pick<Transaction, 'execute'>;

/** Writes the plans in one transaction; returns one outcome per plan, in order. */
export async function writeRegistrations(
  client: Client,
  plans: readonly RegistrationPlan[],
  faults: RegistrationFaults = {},
): Promise<RegistrationOutcome[]> {
  if (!plans.some((p) => p.kind === 'file' || p.kind === 'unreadable' || p.kind === 'outside')) {
    return plans.map(outcomeWithoutWrite);
  }
  return writeTransaction(client, async (tx) => {
    const deltas = new Map<number, Delta>();
    const outcomes: RegistrationOutcome[] = [];
    for (const plan of plans) outcomes.push(await writeOne(tx, plan, deltas, faults));
    for (const [tableId, delta] of deltas) await applyDelta(tx, tableId, delta);
    await faults.beforeCommit?.();
    return outcomes;
  });
}

function outcomeWithoutWrite(plan: RegistrationPlan): RegistrationOutcome {
  switch (plan.kind) {
    case 'duplicate':
      return { object: plan.object, status: 'duplicate', tableId: plan.tableId, fileId: plan.fileId };
    case 'ignored':
      return { object: plan.object, status: 'ignored', reason: plan.reason };
    case 'failed':
      return { object: plan.object, status: 'failed', error: plan.error };
    default:
      throw new RegistryError('backend', `plan ${plan.kind} needs a write`);
  }
}

async function writeOne(
  tx: Tx,
  plan: RegistrationPlan,
  deltas: Map<number, Delta>,
  faults: RegistrationFaults,
): Promise<RegistrationOutcome> {
  if (plan.kind === 'duplicate' || plan.kind === 'ignored' || plan.kind === 'failed')
    return outcomeWithoutWrite(plan);
  await tx.execute('SAVEPOINT registration');
  try {
    const local = new Map<number, Delta>();
    const outcome =
      plan.kind === 'outside'
        ? await recordRejection(tx, plan.object, plan.reason)
        : await writeFile(tx, plan, local, faults);
    await tx.execute('RELEASE registration');
    for (const [tableId, delta] of local) addDelta(deltas, tableId, delta);
    return outcome;
  } catch (error) {
    await tx.execute('ROLLBACK TO registration');
    await tx.execute('RELEASE registration');
    const wrapped =
      error instanceof AsthaError
        ? error
        : new RegistryError('backend', `registering ${plan.object.key} failed: ${errorMessage(error)}`, {
            cause: error,
            retryable: true,
          });
    return { object: plan.object, status: 'failed', error: wrapped };
  }
}

function addDelta(deltas: Map<number, Delta>, tableId: number, delta: Delta): void {
  const current = deltas.get(tableId) ?? { rows: 0, bytes: 0, files: 0 };
  deltas.set(tableId, {
    rows: current.rows + delta.rows,
    bytes: current.bytes + delta.bytes,
    files: current.files + delta.files,
  });
}

async function recordRejection(tx: Tx, object: S3ObjectRef, reason: string): Promise<RegistrationOutcome> {
  await tx.execute({
    sql: `INSERT INTO rejected_objects (bucket, key, etag, size, reason) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (bucket, key, etag) DO NOTHING`,
    args: [object.bucket, object.key, object.etag, object.size, reason],
  });
  const row = await tx.execute({
    sql: 'SELECT id FROM rejected_objects WHERE bucket = ? AND key = ? AND etag = ?',
    args: [object.bucket, object.key, object.etag],
  });
  return { object, status: 'rejected', reason, rejectionId: Number(row.rows[0]?.id) };
}

type FilePlan = Extract<RegistrationPlan, { kind: 'file' | 'unreadable' }>;

async function writeFile(
  tx: Tx,
  plan: FilePlan,
  deltas: Map<number, Delta>,
  faults: RegistrationFaults,
): Promise<RegistrationOutcome> {
  const { object, location } = plan;
  let table = await loadTable(tx, location);
  let tableCreated = false;
  let fileToTable: Map<number, number> | undefined;
  if (!table) {
    if (plan.kind === 'unreadable')
      return recordRejection(tx, object, `${plan.reason} (no table to record it in)`);
    const defined = defineTable(plan.inspection.schema, location.key.partitions);
    if (!defined.ok) return recordRejection(tx, object, defined.reason);
    table = await createTable(tx, object.bucket, location, defined.definition);
    fileToTable = defined.fileToTable;
    tableCreated = true;
  }
  const tableId = table.id;
  const reject = (reason: string) => insertRejectedFile(tx, tableId, plan, reason);
  if (table.bucket !== object.bucket) {
    return recordRejection(
      tx,
      object,
      `table ${location.key.namespace}.${location.key.table} lives in bucket ${table.bucket}`,
    );
  }
  const existing = await findFile(tx, table.id, location.path, object.etag);
  if (existing !== undefined) return { object, status: 'duplicate', tableId: table.id, fileId: existing };
  if (table.state !== 'active')
    return reject(`table ${location.key.namespace}.${location.key.table} is ${table.state}`);
  if (plan.kind === 'unreadable') return reject(plan.reason);
  let schemaEvolved = false;
  if (!fileToTable) {
    const fit = fitFile(table, plan.inspection.schema, location.key.partitions);
    if (!fit.ok) return reject(fit.reason);
    if (fit.changed) {
      await evolveSchema(tx, table.id, fit.schema, fit.lastColumnId);
      table = { ...table, schema: fit.schema, lastColumnId: fit.lastColumnId };
      schemaEvolved = true;
    }
    fileToTable = fit.fileToTable;
  }
  const fileId = await insertFile(
    tx,
    { id: table.id, schemaId: table.schema['schema-id'] },
    plan,
    'pending',
    null,
  );
  await faults.afterFileRow?.(fileId, object);
  await insertStatistics(tx, fileId, table.id, plan.inspection, fileToTable);
  const superseded = await supersedeOlderVersions(tx, table.id, location.path, object.etag);
  addDelta(deltas, table.id, {
    rows: plan.inspection.recordCount - superseded.rows,
    bytes: object.size - superseded.bytes,
    files: 1 - superseded.files,
  });
  return { object, status: 'registered', tableId: table.id, fileId, tableCreated, schemaEvolved };
}

async function loadTable(tx: Tx, location: FileLocation): Promise<TableState | undefined> {
  const result = await tx.execute({
    sql: `SELECT t.id, t.bucket, t.state, m.schema_json, m.last_column_id, m.partition_spec_json
          FROM tables t JOIN namespaces n ON n.id = t.namespace_id JOIN table_metadata m ON m.table_id = t.id
          WHERE n.name = ? AND t.name = ?`,
    args: [location.key.namespace, location.key.table],
  });
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    id: Number(row.id),
    bucket: String(row.bucket),
    state: String(row.state),
    schema: parsedSchema(String(row.schema_json)),
    lastColumnId: Number(row.last_column_id),
    spec: partitionSpecFromJson(parseJson(String(row.partition_spec_json))),
  };
}

// A batch of files for one table parses the same schema text again and again.
const schemaCache = new Map<string, Schema>();
function parsedSchema(text: string): Schema {
  let schema = schemaCache.get(text);
  if (!schema) {
    schema = schemaFromJson(parseJson(text));
    if (schemaCache.size > 256) schemaCache.clear();
    schemaCache.set(text, schema);
  }
  return schema;
}

async function createTable(
  tx: Tx,
  bucket: string,
  location: FileLocation,
  definition: TableDefinition,
): Promise<TableState> {
  const { namespace, table, tablePrefix } = location.key;
  await tx.execute({
    sql: 'INSERT INTO namespaces (name) VALUES (?) ON CONFLICT (name) DO NOTHING',
    args: [namespace],
  });
  const created = await tx.execute({
    sql: `INSERT INTO tables (namespace_id, name, bucket, key_prefix, location)
          SELECT id, ?, ?, ?, ? FROM namespaces WHERE name = ? RETURNING id`,
    args: [table, bucket, tablePrefix, location.tableLocation, namespace],
  });
  const id = Number(created.rows[0]?.id);
  await tx.execute({
    sql: `INSERT INTO table_metadata (table_id, schema_id, schema_json, last_column_id, partition_spec_json,
            sort_order_json, properties_json) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    args: [
      id,
      definition.schema['schema-id'],
      JSON.stringify(definition.schema),
      definition.lastColumnId,
      JSON.stringify(partitionSpecToJson(definition.spec)),
      JSON.stringify(sortOrderToJson(definition.sortOrder)),
      JSON.stringify(definition.properties),
    ],
  });
  return {
    id,
    bucket,
    state: 'active',
    schema: definition.schema,
    lastColumnId: definition.lastColumnId,
    spec: definition.spec,
  };
}

async function evolveSchema(tx: Tx, tableId: number, schema: Schema, lastColumnId: number): Promise<void> {
  await tx.execute({
    sql: 'UPDATE table_metadata SET schema_id = ?, schema_json = ?, last_column_id = ? WHERE table_id = ?',
    args: [schema['schema-id'], JSON.stringify(schema), lastColumnId, tableId],
  });
}

async function findFile(tx: Tx, tableId: number, path: string, etag: string): Promise<number | undefined> {
  const result = await tx.execute({
    sql: 'SELECT id FROM table_files WHERE table_id = ? AND path = ? AND etag = ?',
    args: [tableId, path, etag],
  });
  const row = result.rows[0];
  return row ? Number(row.id) : undefined;
}

async function insertFile(
  tx: Tx,
  table: { id: number; schemaId: number | null },
  plan: FilePlan,
  state: 'pending' | 'rejected',
  reason: string | null,
): Promise<number> {
  const { object, location } = plan;
  const values = Object.fromEntries(location.key.partitions.map((p) => [p.column, p.value]));
  const result = await tx.execute({
    sql: `INSERT INTO table_files (table_id, path, uri, size, etag, row_count, partition_path, partition_values_json,
            schema_id, iceberg_state, reject_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    args: [
      table.id,
      location.path,
      location.uri,
      object.size,
      object.etag,
      plan.kind === 'file' ? plan.inspection.recordCount : null,
      location.key.partitionPath,
      JSON.stringify(values),
      table.schemaId,
      state,
      reason,
    ],
  });
  return Number(result.rows[0]?.id);
}

async function insertRejectedFile(
  tx: Tx,
  tableId: number,
  plan: FilePlan,
  reason: string,
): Promise<RegistrationOutcome> {
  const fileId = await insertFile(tx, { id: tableId, schemaId: null }, plan, 'rejected', reason);
  return { object: plan.object, status: 'rejected', reason, tableId, fileId };
}

async function insertStatistics(
  tx: Tx,
  fileId: number,
  tableId: number,
  inspection: ParquetInspection,
  fileToTable: Map<number, number>,
): Promise<void> {
  await tx.execute({
    sql: `INSERT INTO file_statistics (file_id, table_id, record_count, file_size, column_count, column_stats_json,
            split_offsets_json) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    args: [
      fileId,
      tableId,
      inspection.recordCount,
      inspection.fileSize,
      inspection.columns.length,
      JSON.stringify(columnStatsJson(inspection.columns, fileToTable)),
      JSON.stringify(inspection.splitOffsets),
    ],
  });
}

/** An overwrite of the same key replaces the older object in S3: its rows stop counting. */
async function supersedeOlderVersions(tx: Tx, tableId: number, path: string, etag: string): Promise<Delta> {
  const result = await tx.execute({
    sql: `UPDATE table_files SET iceberg_state = 'removed'
          WHERE table_id = ? AND path = ? AND etag <> ? AND iceberg_state IN ('pending', 'committing', 'committed')
          RETURNING row_count, size`,
    args: [tableId, path, etag],
  });
  return result.rows.reduce<Delta>(
    (sum, r) => ({
      rows: sum.rows + Number(r.row_count ?? 0),
      bytes: sum.bytes + Number(r.size),
      files: sum.files + 1,
    }),
    { rows: 0, bytes: 0, files: 0 },
  );
}

export async function applyDelta(tx: Tx, tableId: number, delta: Delta): Promise<void> {
  if (delta.rows === 0 && delta.bytes === 0 && delta.files === 0) return;
  await tx.execute({
    sql: `UPDATE tables SET row_count = row_count + ?, total_size = total_size + ?, file_count = file_count + ?,
            last_modified = ${NOW_SQL} WHERE id = ?`,
    args: [delta.rows, delta.bytes, delta.files, tableId],
  });
}
