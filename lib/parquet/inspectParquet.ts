/**
 * What the registry needs to know about a Parquet file, read from its footer alone: the
 * Iceberg schema, the record count, split offsets and per-column metrics for `data_file`.
 */
import { StoreError } from '../errors.js';
import type { Schema } from '../iceberg/spec/types.js';
import type { ObjectStore } from '../store/objectStore.js';
import { type ParquetFooter, readParquetFooter } from './parquetFooter.js';
import { schemaFromParquet } from './schemaFromParquet.js';
import { type ColumnStats, statsFromParquet } from './statsFromParquet.js';
import { storeAsyncBuffer } from './storeAsyncBuffer.js';

export type { ColumnStats } from './statsFromParquet.js';

export interface ParquetInspection {
  /** Iceberg schema (schema-id 0) of the file; every field optional. */
  schema: Schema;
  /** Whether the ids come from the file's Parquet field ids (else assigned 1..n in pre-order). */
  hasFieldIds: boolean;
  recordCount: number;
  fileSize: number;
  /** Start offsets of the row groups, ascending (Iceberg `split_offsets`). */
  splitOffsets: number[];
  /** One entry per Parquet leaf column, in file order. */
  columns: ColumnStats[];
  createdBy?: string;
}

/**
 * Reads only the footer of `key` (one ranged GET of the last 64 KiB, a second one for a larger
 * footer; a HEAD first only when `size` is not given). Throws ParquetError for files that are
 * not readable Parquet or have columns without an Iceberg type; store errors pass through.
 */
export async function inspectParquet(
  store: ObjectStore,
  key: string,
  size?: number,
): Promise<ParquetInspection> {
  const fileSize = size ?? (await headSize(store, key));
  const footer = await readParquetFooter(storeAsyncBuffer(store, key, fileSize));
  return inspectFooter(footer, fileSize);
}

/** The inspection of an already decoded footer (pure). */
export function inspectFooter(footer: ParquetFooter, fileSize: number): ParquetInspection {
  const { schema, hasFieldIds, leaves } = schemaFromParquet(footer.schema);
  return {
    schema,
    hasFieldIds,
    recordCount: footer.numRows,
    fileSize,
    splitOffsets: splitOffsets(footer),
    columns: statsFromParquet(footer, leaves),
    ...(footer.createdBy === undefined ? {} : { createdBy: footer.createdBy }),
  };
}

async function headSize(store: ObjectStore, key: string): Promise<number> {
  const info = await store.head(key);
  if (!info) {
    throw new StoreError('not_found', `object ${JSON.stringify(key)} does not exist`, { details: { key } });
  }
  return info.size;
}

/**
 * A row group starts at its first column chunk's dictionary page if it has one, else at its
 * first data page. Computed rather than read from RowGroup.file_offset, which some writers get wrong.
 */
function splitOffsets(footer: ParquetFooter): number[] {
  const offsets = footer.rowGroups.flatMap((group) => {
    const first = group.columns[0];
    if (!first) return [];
    const dictionary = first.dictionaryPageOffset;
    return [
      dictionary !== undefined && dictionary > 0 && dictionary < first.dataPageOffset
        ? dictionary
        : first.dataPageOffset,
    ];
  });
  return offsets.sort((a, b) => a - b);
}
