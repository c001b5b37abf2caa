/**
 * CDC triggers, generated from a table's live definition (`pragma table_info`, its unique
 * indexes) and regenerated whenever that definition changes (a hash is kept in `__cdc_triggers`).
 *
 * What the naive "one AFTER trigger per operation" version gets wrong, and how this one avoids it:
 * - `json_object` takes at most 127 arguments: images are built 60 columns at a time and
 *   extended with `json_set` (not `json_patch`: a merge patch drops keys whose value is null).
 * - `updated_at`: the AFTER UPDATE trigger itself bumps it when the statement did not set it,
 *   and writes the log row with the bumped value; the bump is not logged again because the
 *   trigger only fires when a column other than `updated_at` changed (and with
 *   `recursive_triggers` off it does not fire for its own UPDATE at all). No-op updates log nothing.
 * - `INSERT OR REPLACE` deletes conflicting rows without firing delete triggers (unless
 *   `recursive_triggers` is on). A BEFORE trigger copies the rows that conflict with NEW on a
 *   unique key into `__cdc_replaced`; when the AFTER trigger fires the write succeeded, so those
 *   rows were replaced and are logged as DELETEs before the INSERT. If the delete trigger does
 *   fire (recursive triggers on) it takes the row out of `__cdc_replaced` first: one DELETE either way.
 *   An upsert (`ON CONFLICT DO UPDATE`) is an UPDATE and is logged as one.
 * - A BLOB in a BLOB/ANY column (or any column of a non-STRICT table) is written to the image as
 *   `{"$hex": "<hex>"}`: `json_object` would otherwise fail the application's write.
 */
import { createHash } from 'node:crypto';
import type { Client, Transaction } from '@libsql/client';
import { RegistryError } from './registryError.js';
import { NOW_SQL } from './schema.js';

type Executor = Pick<Client | Transaction, 'execute'>;

/** Bump when the generated SQL changes, so existing databases get the new triggers. */
const GENERATOR_VERSION = 1;
const COLUMNS_PER_CALL = 60;
const TRIGGER_KINDS = ['before_insert', 'insert', 'before_update', 'update', 'delete'] as const;

export interface CdcTableOptions {
  /** Columns left out of the images (bulky; consumers read them from the registry). */
  excludedColumns?: readonly string[];
}

interface ColumnInfo {
  name: string;
  type: string;
  pk: number;
}

export interface TableShape {
  table: string;
  strict: boolean;
  columns: ColumnInfo[];
  /** Each unique key (primary key included) as its column list. */
  uniqueKeys: string[][];
  excluded: string[];
}

/** Reads the live definition of `table`. */
export async function readTableShape(
  db: Executor,
  table: string,
  options: CdcTableOptions = {},
): Promise<TableShape> {
  const list = await db.execute({
    sql: 'SELECT strict, wr FROM pragma_table_list WHERE name = ?',
    args: [table],
  });
  const listed = list.rows[0];
  if (!listed) throw new RegistryError('unsupported_table', `no table ${JSON.stringify(table)} to capture`);
  if (Number(listed.wr) === 1) {
    throw new RegistryError('unsupported_table', `table ${table} is WITHOUT ROWID; CDC needs rowid tables`);
  }
  const info = await db.execute({
    sql: 'SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid',
    args: [table],
  });
  const columns = info.rows.map((r) => ({ name: String(r.name), type: String(r.type), pk: Number(r.pk) }));
  for (const column of columns) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(column.name)) {
      throw new RegistryError(
        'unsupported_table',
        `column ${JSON.stringify(column.name)} of ${table} is not a plain identifier`,
      );
    }
  }
  return {
    table,
    strict: Number(listed.strict) === 1,
    columns,
    uniqueKeys: await readUniqueKeys(db, table, columns),
    excluded: [...(options.excludedColumns ?? [])],
  };
}

async function readUniqueKeys(db: Executor, table: string, columns: ColumnInfo[]): Promise<string[][]> {
  const keys: string[][] = [];
  const pk = columns.filter((c) => c.pk > 0);
  // An INTEGER PRIMARY KEY is the rowid and has no index of its own in pragma_index_list.
  if (pk.length === 1 && pk[0]!.type.toUpperCase() === 'INTEGER') keys.push([pk[0]!.name]);
  const indexes = await db.execute({
    sql: 'SELECT name FROM pragma_index_list(?) WHERE "unique" = 1 AND partial = 0 ORDER BY name',
    args: [table],
  });
  for (const index of indexes.rows) {
    const cols = await db.execute({
      sql: 'SELECT name FROM pragma_index_info(?) ORDER BY seqno',
      args: [String(index.name)],
    });
    const names = cols.rows.map((r) => r.name);
    // Expression indexes have NULL column names; they cannot be matched from a trigger.
    if (names.every((n) => typeof n === 'string')) keys.push(names as string[]);
  }
  return keys;
}

export function shapeHash(shape: TableShape): string {
  const material = JSON.stringify({ v: GENERATOR_VERSION, ...shape });
  return createHash('sha256').update(material).digest('hex').slice(0, 32);
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** One column's value as it goes into an image; BLOBs become `{"$hex": ...}`. */
function imageValue(shape: TableShape, column: ColumnInfo, ref: string): string {
  const type = column.type.toUpperCase();
  const mayHoldBlob = !shape.strict || type === 'BLOB' || type === 'ANY' || type === '';
  if (!mayHoldBlob) return ref;
  return `CASE WHEN typeof(${ref}) = 'blob' THEN json_object('$hex', hex(${ref})) ELSE ${ref} END`;
}

/**
 * The JSON image of a row. `ref(column)` gives the SQL for a column's value (e.g. `NEW."id"`).
 * Built in calls of at most COLUMNS_PER_CALL columns: json_object, then json_set for the rest.
 */
export function imageSql(shape: TableShape, ref: (column: string) => string): string {
  const columns = shape.columns.filter((c) => !shape.excluded.includes(c.name));
  let sql = '';
  for (let start = 0; start < columns.length; start += COLUMNS_PER_CALL) {
    const chunk = columns.slice(start, start + COLUMNS_PER_CALL);
    if (start === 0) {
      const args = chunk.map((c) => `${quoteLiteral(c.name)}, ${imageValue(shape, c, ref(c.name))}`);
      sql = `json_object(${args.join(', ')})`;
    } else {
      const args = chunk.map((c) => `${quoteLiteral(`$."${c.name}"`)}, ${imageValue(shape, c, ref(c.name))}`);
      sql = `json_set(${sql}, ${args.join(', ')})`;
    }
  }
  return sql === '' ? 'json_object()' : sql;
}

function triggerName(table: string, kind: (typeof TRIGGER_KINDS)[number]): string {
  return `__cdc_${table}_${kind}`;
}

/** `T.a = NEW.a AND ...` for each unique key, OR-ed; rows NEW would collide with. */
function conflictSql(shape: TableShape): string | undefined {
  if (shape.uniqueKeys.length === 0) return undefined;
  const table = `"${shape.table}"`;
  return shape.uniqueKeys
    .map((key) => `(${key.map((c) => `${table}."${c}" = NEW."${c}"`).join(' AND ')})`)
    .join(' OR ');
}

/** The CREATE TRIGGER statements for one table. */
export function triggerSql(shape: TableShape): string[] {
  const t = shape.table;
  const q = `"${t}"`;
  const name = quoteLiteral(t);
  const hasUpdatedAt = shape.columns.some((c) => c.name === 'updated_at');
  const staged = `FROM __cdc_replaced WHERE tablename = ${name}`;
  const logStagedDeletes = `INSERT INTO __cdc_log (timestamp, tablename, operation, before, after)
      SELECT ${NOW_SQL}, ${name}, 'DELETE', before, NULL ${staged} ORDER BY row_id;
    DELETE ${staged};`;
  const conflict = conflictSql(shape);
  const tableImage = imageSql(shape, (c) => `${q}."${c}"`);
  const stage = (extra: string): string =>
    `DELETE ${staged};
    INSERT INTO __cdc_replaced (tablename, row_id, before)
      SELECT ${name}, ${q}.rowid, ${tableImage} FROM ${q} WHERE (${conflict})${extra};`;
  const stagedExists = `EXISTS (SELECT 1 ${staged})`;
  const statements: string[] = [];
  if (conflict) {
    statements.push(`CREATE TRIGGER "${triggerName(t, 'before_insert')}" BEFORE INSERT ON ${q}
  WHEN EXISTS (SELECT 1 FROM ${q} WHERE ${conflict}) OR ${stagedExists}
  BEGIN
    ${stage('')}
  END`);
    const uniqueColumns = [...new Set(shape.uniqueKeys.flat())];
    const keyChanged = uniqueColumns.map((c) => `NEW."${c}" IS NOT OLD."${c}"`).join(' OR ');
    statements.push(`CREATE TRIGGER "${triggerName(t, 'before_update')}" BEFORE UPDATE ON ${q}
  WHEN ${stagedExists} OR ((${keyChanged}) AND EXISTS (SELECT 1 FROM ${q} WHERE (${conflict}) AND ${q}.rowid <> OLD.rowid))
  BEGIN
    ${stage(` AND ${q}.rowid <> OLD.rowid`)}
  END`);
  }
  statements.push(`CREATE TRIGGER "${triggerName(t, 'insert')}" AFTER INSERT ON ${q}
  BEGIN
    ${conflict ? logStagedDeletes : ''}
    INSERT INTO __cdc_log (timestamp, tablename, operation, before, after)
      VALUES (${NOW_SQL}, ${name}, 'INSERT', NULL, ${imageSql(shape, (c) => `NEW."${c}"`)});
  END`);
  const changed = shape.columns
    .filter((c) => c.name !== 'updated_at')
    .map((c) => `NEW."${c.name}" IS NOT OLD."${c.name}"`)
    .join(' OR ');
  const bumped = `CASE WHEN NEW."updated_at" IS OLD."updated_at" THEN ${NOW_SQL} ELSE NEW."updated_at" END`;
  const afterImage = imageSql(shape, (c) => (c === 'updated_at' ? bumped : `NEW."${c}"`));
  statements.push(`CREATE TRIGGER "${triggerName(t, 'update')}" AFTER UPDATE ON ${q}
  WHEN ${changed || '0'}
  BEGIN
    ${conflict ? logStagedDeletes : ''}
    ${hasUpdatedAt ? `UPDATE ${q} SET "updated_at" = ${NOW_SQL} WHERE rowid = NEW.rowid AND NEW."updated_at" IS OLD."updated_at";` : ''}
    INSERT INTO __cdc_log (timestamp, tablename, operation, before, after)
      VALUES (${NOW_SQL}, ${name}, 'UPDATE', ${imageSql(shape, (c) => `OLD."${c}"`)}, ${afterImage});
  END`);
  statements.push(`CREATE TRIGGER "${triggerName(t, 'delete')}" AFTER DELETE ON ${q}
  BEGIN
    ${conflict ? `DELETE ${staged} AND row_id = OLD.rowid;` : ''}
    INSERT INTO __cdc_log (timestamp, tablename, operation, before, after)
      VALUES (${NOW_SQL}, ${name}, 'DELETE', ${imageSql(shape, (c) => `OLD."${c}"`)}, NULL);
  END`);
  return statements;
}

/**
 * Installs (or re-installs, when the table's definition changed) the CDC triggers of `table`.
 * Run inside the migration transaction. Returns whether triggers were (re)created.
 */
export async function installCdcTriggers(
  db: Executor,
  table: string,
  options: CdcTableOptions = {},
): Promise<boolean> {
  const shape = await readTableShape(db, table, options);
  const hash = shapeHash(shape);
  const current = await db.execute({
    sql: 'SELECT columns_hash FROM __cdc_triggers WHERE tablename = ?',
    args: [table],
  });
  const installed = await db.execute({
    sql: "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? AND name LIKE '\\_\\_cdc\\_%' ESCAPE '\\'",
    args: [table],
  });
  const expected = shape.uniqueKeys.length > 0 ? TRIGGER_KINDS.length : 3;
  if (current.rows[0]?.columns_hash === hash && Number(installed.rows[0]?.n) === expected) return false;
  for (const kind of TRIGGER_KINDS) await db.execute(`DROP TRIGGER IF EXISTS "${triggerName(table, kind)}"`);
  for (const sql of triggerSql(shape)) await db.execute(sql);
  await db.execute({
    sql: `INSERT INTO __cdc_triggers (tablename, columns_hash, installed_at) VALUES (?, ?, ${NOW_SQL})
      ON CONFLICT (tablename) DO UPDATE SET columns_hash = excluded.columns_hash, installed_at = excluded.installed_at`,
    args: [table, hash],
  });
  return true;
}
