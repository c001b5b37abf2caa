/**
 * Compaction lineage (registry migration 2): which rows of which live compaction output came
 * from which replaced file, so a user who deletes or overwrites a file after it was compacted
 * still takes its rows out of the table.
 *
 * Lineage always points at original (user) files: when an output is compacted again, its
 * entries are carried through to the new output at their new row offsets. A file astha wrote
 * before lineage existed has no entries and stands for its own rows.
 */
import type { Client, InStatement, Transaction } from '@libsql/client';
import type { LiveFile } from './compactionState.js';

/** Rows [inputRowStart, +rowCount) of input file `inputFileId` are rows [outputRowStart, +rowCount) of an output. */
export interface RowSegment {
  inputFileId: number;
  inputRowStart: number;
  outputRowStart: number;
  rowCount: number;
}

export interface LineageEntry {
  sourceFileId: number;
  rowOffset: number;
  rowCount: number;
}

type Executor = Pick<Client | Transaction, 'execute'>;

/** The entries of the given outputs, by output id, in row order. */
export async function entriesOf(
  db: Executor,
  outputIds: readonly number[],
): Promise<Map<number, LineageEntry[]>> {
  const byOutput = new Map<number, LineageEntry[]>();
  if (outputIds.length === 0) return byOutput;
  const result = await db.execute({
    sql: `SELECT output_file_id, source_file_id, row_offset, row_count FROM compacted_rows
          WHERE output_file_id IN (SELECT value FROM json_each(?)) ORDER BY output_file_id, row_offset`,
    args: [JSON.stringify(outputIds)],
  });
  for (const row of result.rows) {
    const id = Number(row.output_file_id);
    const list = byOutput.get(id) ?? [];
    list.push({
      sourceFileId: Number(row.source_file_id),
      rowOffset: Number(row.row_offset),
      rowCount: Number(row.row_count),
    });
    byOutput.set(id, list);
  }
  return byOutput;
}

/**
 * The lineage of a new output from its segments: a segment of an input that has lineage maps
 * through it (only the overlapping part of each entry), one without lineage is its own source.
 */
export function composeLineage(
  segments: readonly RowSegment[],
  inputLineage: ReadonlyMap<number, readonly LineageEntry[]>,
): LineageEntry[] {
  const composed: LineageEntry[] = [];
  for (const segment of segments) {
    const entries = inputLineage.get(segment.inputFileId);
    if (!entries || entries.length === 0) {
      composed.push({
        sourceFileId: segment.inputFileId,
        rowOffset: segment.outputRowStart,
        rowCount: segment.rowCount,
      });
      continue;
    }
    const start = segment.inputRowStart;
    const end = start + segment.rowCount;
    for (const entry of entries) {
      const lo = Math.max(entry.rowOffset, start);
      const hi = Math.min(entry.rowOffset + entry.rowCount, end);
      if (lo >= hi) continue;
      composed.push({
        sourceFileId: entry.sourceFileId,
        rowOffset: segment.outputRowStart + (lo - start),
        rowCount: hi - lo,
      });
    }
  }
  return composed;
}

/** The input files the segments read. */
export function inputsOf(segments: readonly RowSegment[]): number[] {
  return [...new Set(segments.map((s) => s.inputFileId))];
}

function entriesJson(entries: readonly LineageEntry[]): string {
  return JSON.stringify(entries.map((e) => [e.sourceFileId, e.rowOffset, e.rowCount]));
}

/**
 * The statement recording an output's lineage, the output named by its key (in the same batch
 * that inserts it); idempotent: an output that already has lineage gets none added.
 */
export function lineageStatement(
  tableId: number,
  output: { path: string; etag: string },
  segments: readonly RowSegment[],
  inputLineage: ReadonlyMap<number, readonly LineageEntry[]>,
): InStatement {
  return {
    sql: `INSERT INTO compacted_rows (output_file_id, source_file_id, row_offset, row_count)
          SELECT f.id, j.value ->> 0, j.value ->> 1, j.value ->> 2
          FROM table_files f, json_each(?) j
          WHERE f.table_id = ? AND f.path = ? AND f.etag = ?
            AND NOT EXISTS (SELECT 1 FROM compacted_rows c WHERE c.output_file_id = f.id)`,
    args: [entriesJson(composeLineage(segments, inputLineage)), tableId, output.path, output.etag],
  };
}

/** A removed file (not purged by astha) not yet retracted whose rows live on in a live output. */
const RETRACTABLE = `iceberg_state = 'removed' AND retracted_at IS NULL AND purged_at IS NULL
  AND EXISTS (SELECT 1 FROM compacted_rows c JOIN table_files o ON o.id = c.output_file_id
              WHERE c.source_file_id = table_files.id AND o.iceberg_state = 'committed')`;

/**
 * The statement retracting a compaction's inputs the user removed between its commit and its
 * record (`removed` by something other than the replacing snapshot): their rows are in an output.
 */
export function retractRemovedInputs(
  tableId: number,
  snapshotId: string,
  inputUris: readonly string[],
  atIso: string,
): InStatement {
  return {
    sql: `UPDATE table_files SET retracted_at = ?
          WHERE table_id = ? AND target_snapshot_id IS NOT ? AND uri IN (SELECT value FROM json_each(?))
            AND ${RETRACTABLE}`,
    args: [atIso, tableId, snapshotId, JSON.stringify(inputUris)],
  };
}

/**
 * Marks replaced files whose rows live on in a live output as retracted (the user deleted or
 * overwrote them): the compactor then rewrites those outputs without their rows. Files astha's
 * own cleanup deleted (`purged_at`) are not the user's removal and are left alone. Returns the
 * ids marked now.
 */
export async function markRetracted(
  tx: Executor,
  fileIds: readonly number[],
  atIso: string,
): Promise<number[]> {
  if (fileIds.length === 0) return [];
  const result = await tx.execute({
    sql: `UPDATE table_files SET retracted_at = ?
          WHERE id IN (SELECT value FROM json_each(?)) AND ${RETRACTABLE} RETURNING id`,
    args: [atIso, JSON.stringify(fileIds)],
  });
  return result.rows.map((row) => Number(row.id));
}

/** A live output holding rows of retracted files, with those rows as sorted input ranges. */
export interface RetractedOutput {
  output: LiveFile;
  ranges: { start: number; end: number }[];
  /** The retracted files whose rows are in it. */
  sourceFileIds: number[];
}

export async function retractedOutputs(client: Client, tableId: number): Promise<RetractedOutput[]> {
  const result = await client.execute({
    sql: `SELECT o.id, o.path, o.uri, o.size, o.row_count, o.partition_path, o.partition_values_json,
            c.source_file_id, c.row_offset, c.row_count AS lineage_rows
          FROM table_files s INDEXED BY table_files_retracted
          JOIN compacted_rows c ON c.source_file_id = s.id
          JOIN table_files o ON o.id = c.output_file_id
          WHERE s.table_id = ? AND s.retracted_at IS NOT NULL
            AND o.table_id = s.table_id AND o.iceberg_state = 'committed'
          ORDER BY o.id, c.row_offset`,
    args: [tableId],
  });
  const byOutput = new Map<number, RetractedOutput>();
  for (const row of result.rows) {
    const id = Number(row.id);
    let entry = byOutput.get(id);
    if (!entry) {
      entry = {
        output: {
          id,
          path: String(row.path),
          uri: String(row.uri),
          size: Number(row.size),
          rowCount: Number(row.row_count),
          partitionPath: String(row.partition_path),
          partitionValuesJson: String(row.partition_values_json),
          asthaWritten: true,
        },
        ranges: [],
        sourceFileIds: [],
      };
      byOutput.set(id, entry);
    }
    const start = Number(row.row_offset);
    entry.ranges.push({ start, end: start + Number(row.lineage_rows) });
    const source = Number(row.source_file_id);
    if (!entry.sourceFileIds.includes(source)) entry.sourceFileIds.push(source);
  }
  return [...byOutput.values()];
}
