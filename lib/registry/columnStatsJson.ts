/**
 * Per-column statistics of a file, as stored in `file_statistics.column_stats_json`: one JSON
 * document per file keyed by the TABLE's field id (so a 300-column file is one row and one CDC
 * event, and readers never need the file's own ids). Bounds are Iceberg single-value binary,
 * base64-encoded.
 */
import type { ColumnStats } from '../parquet/inspectParquet.js';
import type { ColumnStatsEntry, ColumnStatsJson } from './rows.js';

/** Keys the file's column stats by table field id; columns the mapping does not know are left out. */
export function columnStatsJson(
  columns: readonly ColumnStats[],
  fileToTable: ReadonlyMap<number, number>,
): ColumnStatsJson {
  const stats: ColumnStatsJson = {};
  for (const column of columns) {
    const tableId = fileToTable.get(column.fieldId);
    if (tableId === undefined) continue;
    const entry: ColumnStatsEntry = {};
    if (column.size !== undefined) entry.size = column.size;
    if (column.valueCount !== undefined) entry.values = column.valueCount;
    if (column.nullCount !== undefined) entry.nulls = column.nullCount;
    if (column.nanCount !== undefined) entry.nans = column.nanCount;
    if (column.lower !== undefined) entry.lower = Buffer.from(column.lower).toString('base64');
    if (column.upper !== undefined) entry.upper = Buffer.from(column.upper).toString('base64');
    stats[String(tableId)] = entry;
  }
  return stats;
}

/** A column's statistics with the bounds decoded back to bytes. */
export interface DecodedColumnStats {
  fieldId: number;
  size?: number;
  values?: number;
  nulls?: number;
  nans?: number;
  lower?: Uint8Array;
  upper?: Uint8Array;
}

export function decodeColumnStats(json: string): DecodedColumnStats[] {
  const parsed = JSON.parse(json) as ColumnStatsJson;
  return Object.entries(parsed)
    .map(([id, entry]) => {
      const { lower, upper, ...counts } = entry;
      const decoded: DecodedColumnStats = { fieldId: Number(id), ...counts };
      if (lower !== undefined) decoded.lower = new Uint8Array(Buffer.from(lower, 'base64'));
      if (upper !== undefined) decoded.upper = new Uint8Array(Buffer.from(upper, 'base64'));
      return decoded;
    })
    .sort((a, b) => a.fieldId - b.fieldId);
}
