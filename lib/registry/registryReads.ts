/**
 * The reads components and the CLI need, returning the typed rows of rows.ts.
 */
import type { Client, InStatement, ResultSet, Row } from '@libsql/client';
import { type DecodedColumnStats, decodeColumnStats } from './columnStatsJson.js';
import {
  ICEBERG_STATES,
  type FileStatisticsRow,
  type IcebergState,
  parseRegistryTime,
  type TableFileRow,
  type TableMetadataRow,
  type TableRow,
} from './rows.js';

/** A libSQL row as a plain object of its columns; the SQL selects exactly the row type's columns. */
function plain<T>(row: Row, columns: string[]): T {
  return Object.fromEntries(columns.map((c) => [c, row[c] ?? null])) as T;
}

async function select<T>(client: Client, sql: string, args: (string | number)[]): Promise<T[]> {
  const result = await client.execute({ sql, args });
  return result.rows.map((row) => plain<T>(row, result.columns));
}

export async function tableById(client: Client, id: number): Promise<TableRow | undefined> {
  return (await select<TableRow>(client, 'SELECT * FROM tables WHERE id = ?', [id]))[0];
}

export async function tableByName(
  client: Client,
  namespace: string,
  name: string,
): Promise<TableRow | undefined> {
  const rows = await select<TableRow>(
    client,
    'SELECT t.* FROM tables t JOIN namespaces n ON n.id = t.namespace_id WHERE n.name = ? AND t.name = ?',
    [namespace, name],
  );
  return rows[0];
}

export async function tableMetadata(client: Client, tableId: number): Promise<TableMetadataRow | undefined> {
  return tableMetadataFrom(await client.execute(tableMetadataStatement(tableId)));
}

/** The read of a table's definition, for a batch that carries it beside other statements. */
export function tableMetadataStatement(tableId: number): InStatement {
  return { sql: 'SELECT * FROM table_metadata WHERE table_id = ?', args: [tableId] };
}

export function tableMetadataFrom(result: ResultSet): TableMetadataRow | undefined {
  const row = result.rows[0];
  return row ? plain<TableMetadataRow>(row, result.columns) : undefined;
}

/** Whether the table has a pending file, for a batch that asks it beside its own statements. */
export function anyPendingStatement(tableId: number): InStatement {
  return {
    sql: "SELECT EXISTS (SELECT 1 FROM table_files WHERE table_id = ? AND iceberg_state = 'pending') AS pending",
    args: [tableId],
  };
}

export function anyPendingFrom(result: ResultSet): boolean {
  return Number(result.rows[0]?.pending ?? 0) === 1;
}

/** Pending files of a table, oldest first: what the next append snapshot commits. */
export async function pendingFiles(client: Client, tableId: number, limit = 1000): Promise<TableFileRow[]> {
  return select<TableFileRow>(
    client,
    "SELECT * FROM table_files WHERE table_id = ? AND iceberg_state = 'pending' ORDER BY id LIMIT ?",
    [tableId, limit],
  );
}

export interface FilesByStateQuery {
  tableId?: number;
  limit?: number;
  /** Only files with an id above this (for paging). */
  afterId?: number;
}

export async function filesByState(
  client: Client,
  state: IcebergState,
  query: FilesByStateQuery = {},
): Promise<TableFileRow[]> {
  const args: (string | number)[] = [state, query.afterId ?? 0];
  let sql = 'SELECT * FROM table_files WHERE iceberg_state = ? AND id > ?';
  if (query.tableId !== undefined) {
    sql += ' AND table_id = ?';
    args.push(query.tableId);
  }
  args.push(query.limit ?? 1000);
  return select<TableFileRow>(client, `${sql} ORDER BY id LIMIT ?`, args);
}

export interface FileStatistics extends Omit<FileStatisticsRow, 'column_stats_json' | 'split_offsets_json'> {
  splitOffsets: number[];
  /** Keyed by table field id, bounds as Iceberg single-value bytes. */
  columns: DecodedColumnStats[];
}

export async function fileStatistics(client: Client, fileId: number): Promise<FileStatistics | undefined> {
  const row = (
    await select<FileStatisticsRow>(client, 'SELECT * FROM file_statistics WHERE file_id = ?', [fileId])
  )[0];
  if (!row) return undefined;
  const { column_stats_json, split_offsets_json, ...rest } = row;
  return {
    ...rest,
    splitOffsets: split_offsets_json === null ? [] : (JSON.parse(split_offsets_json) as number[]),
    columns: decodeColumnStats(column_stats_json),
  };
}

export interface RegistryStatus {
  tables: number;
  filesByState: Record<IcebergState, number>;
  rejectedObjects: number;
  compaction: {
    /** Live files the compactor wrote. */
    outputs: number;
    /** Replaced files whose rows live on in those outputs. */
    replacedFiles: number;
    /** Files removed by their user after compaction whose rows are still to be taken out. */
    retractionsPending: number;
  };
  cdc: {
    backlog: number;
    oldestTimestamp: string | null;
    /** Age of the oldest undrained change, against `now`. */
    oldestAgeMs: number | null;
    /** Rows in `__cdc_dead`, or null when the drainer has not created that table. */
    deadRows: number | null;
  };
}

export async function registryStatus(client: Client, now: Date = new Date()): Promise<RegistryStatus> {
  const [counts, states, dead, compaction] = await client.batch(
    [
      `SELECT (SELECT count(*) FROM tables) AS tables,
              (SELECT count(*) FROM rejected_objects) AS rejected_objects,
              (SELECT count(*) FROM __cdc_log) AS backlog,
              (SELECT timestamp FROM __cdc_log ORDER BY id LIMIT 1) AS oldest`,
      'SELECT iceberg_state, count(*) AS n FROM table_files GROUP BY iceberg_state',
      "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = '__cdc_dead'",
      `SELECT (SELECT count(*) FROM table_files WHERE astha_written = 1 AND iceberg_state = 'committed') AS outputs,
              count(DISTINCT c.source_file_id) AS replaced,
              count(DISTINCT CASE WHEN s.retracted_at IS NOT NULL THEN c.source_file_id END) AS retracting
         FROM compacted_rows c
         JOIN table_files o ON o.id = c.output_file_id AND o.iceberg_state = 'committed'
         JOIN table_files s ON s.id = c.source_file_id`,
    ],
    'read',
  );
  const filesByState = Object.fromEntries(ICEBERG_STATES.map((s) => [s, 0])) as Record<IcebergState, number>;
  for (const row of states?.rows ?? [])
    filesByState[String(row.iceberg_state) as IcebergState] = Number(row.n);
  const summary = counts?.rows[0];
  const oldest = summary?.oldest === null || summary?.oldest === undefined ? null : String(summary.oldest);
  let deadRows: number | null = null;
  if (Number(dead?.rows[0]?.n) > 0) {
    deadRows = Number((await client.execute('SELECT count(*) AS n FROM __cdc_dead')).rows[0]?.n);
  }
  return {
    tables: Number(summary?.tables ?? 0),
    filesByState,
    rejectedObjects: Number(summary?.rejected_objects ?? 0),
    compaction: {
      outputs: Number(compaction?.rows[0]?.outputs ?? 0),
      replacedFiles: Number(compaction?.rows[0]?.replaced ?? 0),
      retractionsPending: Number(compaction?.rows[0]?.retracting ?? 0),
    },
    cdc: {
      backlog: Number(summary?.backlog ?? 0),
      oldestTimestamp: oldest,
      oldestAgeMs: oldest === null ? null : Math.max(0, now.getTime() - parseRegistryTime(oldest).getTime()),
      deadRows,
    },
  };
}
