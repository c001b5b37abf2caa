/**
 * What the registry needs to know about a Parquet file, read from its footer: the Iceberg
 * schema, the record count, split offsets and per-column metrics for `data_file`; optionally
 * after checking its data pages too (`verifyParquetData`).
 */
import { StoreError } from '../errors.js';
import type { Schema } from '../iceberg/spec/types.js';
import type { ObjectStore } from '../store/objectStore.js';
import { ParquetError } from './parquetError.js';
import { type ParquetFooter, readParquetFooter } from './parquetFooter.js';
import { schemaFromParquet } from './schemaFromParquet.js';
import { type ColumnStats, statsFromParquet } from './statsFromParquet.js';
import { memoryAsyncBuffer, storeAsyncBuffer } from './storeAsyncBuffer.js';
import { verifyParquetData } from './verifyParquetData.js';

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

export interface InspectOptions {
  /** Also walk and decompress every data page (`verifyParquetData`); default: footer only. */
  verifyData?: boolean;
  /** Read only this version of the object (every GET `If-Match`): StoreError `conflict` otherwise. */
  ifMatch?: string;
}

/** With data verification, files up to this size are read in one GET (footer and pages alike). */
export const WHOLE_FILE_READ_BYTES = 8 * 1024 * 1024;

/**
 * Reads the footer of `key` (ranged GETs of the last 64 KiB and the first 4 bytes, one more for
 * a footer above 64 KiB; a HEAD first only when `size` is not given) and, with `verifyData`,
 * every data page: a small file in one GET, a large one in bounded ranged reads. Throws
 * ParquetError for files that are not readable Parquet or have columns without an Iceberg type;
 * store errors pass through.
 */
export async function inspectParquet(
  store: ObjectStore,
  key: string,
  size?: number,
  options: InspectOptions = {},
): Promise<ParquetInspection> {
  const fileSize = size ?? (await headSize(store, key));
  if (!options.verifyData) {
    const footer = await readParquetFooter(storeAsyncBuffer(store, key, fileSize, options.ifMatch));
    return inspectFooter(footer, fileSize);
  }
  const file =
    fileSize <= WHOLE_FILE_READ_BYTES
      ? memoryAsyncBuffer(await wholeObject(store, key, fileSize, options.ifMatch))
      : storeAsyncBuffer(store, key, fileSize, options.ifMatch);
  const footer = await readParquetFooter(file);
  const inspection = inspectFooter(footer, fileSize);
  await verifyParquetData(
    footer,
    fileSize,
    async (start, end) => new Uint8Array(await file.slice(start, end)),
  );
  return inspection;
}

async function wholeObject(
  store: ObjectStore,
  key: string,
  size: number,
  ifMatch: string | undefined,
): Promise<Uint8Array> {
  const bytes =
    size === 0 ? new Uint8Array(0) : await store.get(key, ifMatch === undefined ? {} : { ifMatch });
  if (bytes.length !== size) {
    throw new ParquetError(
      'truncated',
      `Parquet file ${JSON.stringify(key)} has ${bytes.length} bytes, not its stated ${size}`,
      { details: { key, byteLength: size, got: bytes.length } },
    );
  }
  return bytes;
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
