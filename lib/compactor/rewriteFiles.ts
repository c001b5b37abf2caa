/**
 * Rewrites one group of small Parquet files as target-size files, streaming by row group: an
 * input row group is read (raw), converted to the table's current schema and appended to the
 * output writer; an output is finished and stored once it reaches the target size. Memory holds
 * at most one output row group's worth of input plus the output being written, plus the inputs
 * read ahead (`InputSources`: at most 8 files / 32 MB, and 32 MB of small files kept from the
 * footer pass): a bound that does not grow with the group.
 *
 * Nested columns (structs, lists, maps) are read leaf by leaf with their levels and rebuilt as
 * the table's type (`columnReader`); hyparquet-writer encodes the values back into levels
 * (its Dremel encoder) under the Iceberg shapes `outputElements` gives.
 *
 * Outputs are named `<table>/data/<partition>/_astha-compacted-<uuid>.parq`: not `.parquet`,
 * so neither the S3 notification filter (suffix `.parquet`), the layout parser nor the
 * warehouse watcher takes them for user files to register (which would add their rows twice),
 * and the leading `_` hides them from Hive-style directory listings. Readers open data files
 * by the path and format in the manifest, so the name does not matter to them.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  type AsyncBuffer,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  parquetSchema,
  type SchemaElement as PqElement,
  type SchemaTree,
} from 'hyparquet';
import { ByteWriter, type ColumnSource, ParquetWriter } from 'hyparquet-writer';
import { mapInFlight } from '../inFlight.js';
import { partitionValueFromPath } from '../iceberg/partitionValues.js';
import type { PartitionSpec } from '../iceberg/spec/partitionSpec.js';
import type { NestedField, Schema } from '../iceberg/spec/types.js';
import { type ParquetInspection, inspectFooter } from '../parquet/inspectParquet.js';
import { PAGE_DECOMPRESSORS } from '../parquet/pageCodecs.js';
import { readParquetFooter } from '../parquet/parquetFooter.js';
import type { RowSegment } from '../registry/compactionLineage.js';
import type { LiveFile } from '../registry/compactionState.js';
import type { ObjectStore, ObjectUpload } from '../store/objectStore.js';
import {
  type OutputValue,
  outputElements,
  type RawValue,
  rawMetadata,
  rawPartitionValue,
  same,
} from './columnConversion.js';
import { type ColumnReader, columnReader } from './columnReader.js';
import { FooterBytes, InputSources } from './inputSources.js';
import type { RewriteGroup } from './planCompaction.js';

export interface RewriteOptions {
  store: ObjectStore;
  /** `<namespace>/<table>`. */
  tableKeyPrefix: string;
  schema: Schema;
  spec: PartitionSpec;
  targetFileSizeBytes: number;
  /** Rows per output row group (default 100,000): what the writer buffers before encoding. */
  rowGroupRows?: number;
  /** The table's `write.parquet.compression-codec` (see `outputCodec`). */
  codec?: OutputCodec;
  /** Called after each output row group is encoded (the benchmark samples memory here). */
  onRowGroup?: () => void;
  /**
   * Rows to leave out, by input file id: sorted, disjoint [start, end) ranges of the input's rows
   * (a retracted source's rows inside a compaction output).
   */
  excludeRows?: ReadonlyMap<number, readonly RowRange[]>;
}

export interface RowRange {
  start: number;
  end: number;
}

export interface RewrittenFile {
  path: string;
  size: number;
  etag: string;
  rowCount: number;
  inspection: ParquetInspection;
  /** Where each output row came from, in output order: what compaction lineage is built from. */
  segments: RowSegment[];
}

/** Column sources of one input file, in output column order. */
interface InputPlan {
  metadata: FileMetaData;
  /** `metadata` with leaf annotations stripped, what hyparquet decodes with. */
  raw: FileMetaData;
  /** Names of the input's top-level columns read. */
  read: string[];
  /** Slot of each input leaf read (keyed by `leafKey` of its path) in a row group's leaf arrays. */
  slots: Map<string, number>;
  /**
   * Per output column: its reader, whose leaves fill the slots from `first` on, or a constant
   * (a partition value, or null for a column the input lacks).
   */
  columns: ({ first: number; reader: ColumnReader } | { constant: OutputValue })[];
}

export async function rewriteGroup(group: RewriteGroup, options: RewriteOptions): Promise<RewrittenFile[]> {
  const { store } = options;
  // Footers are small next to the data: read once here, reused when each file is rewritten.
  const footers = new Map<number, FileMetaData>();
  const footerBytes = new FooterBytes();
  const fields = await outputFields(group.files, options, footers, footerBytes);
  const schema: PqElement[] = [
    { name: 'schema', num_children: fields.length },
    ...fields.flatMap(outputElements),
  ];
  const rowGroupRows = options.rowGroupRows ?? 100_000;
  const outputs: RewrittenFile[] = [];
  let output = newOutput(schema, group, options);
  const buffer = emptyColumns(fields.length);
  let buffered = 0;

  const flushRowGroup = async () => {
    if (buffered === 0) return;
    const rows = buffered;
    const columnData: ColumnSource[] = fields.map((field, i) => {
      const data = joinChunks(buffer[i]!, rows) as ColumnSource['data'];
      // Its chunks can be collected while the other columns are joined and the row group encoded.
      buffer[i] = [];
      return { name: field.name, data };
    });
    buffered = 0;
    await output.writer.write({ columnData, rowGroupSize: rows });
    output.rows += rows;
    options.onRowGroup?.();
    if (output.bytes.offset >= options.targetFileSizeBytes) {
      stampLineage(output);
      outputs.push(await finishOutput(output));
      output = newOutput(schema, group, options);
    }
  };

  try {
    const inputs = new InputSources(store, group.files, footerBytes);
    for (const file of group.files) {
      const source = await inputs.next();
      const plan = planInput(file, footers.get(file.id)!, fields, options);
      footers.delete(file.id);
      let rowStart = 0;
      const excluded = options.excludeRows?.get(file.id) ?? [];
      for (const rowGroup of plan.metadata.row_groups) {
        const rowEnd = rowStart + Number(rowGroup.num_rows);
        const kept = keptRanges(rowStart, rowEnd, excluded);
        const leaves = kept.length > 0 ? await readLeaves(source, plan, rowStart, rowEnd) : [];
        for (const range of kept) {
          const from = range.start - rowStart;
          const to = range.end - rowStart;
          for (const [i, column] of plan.columns.entries())
            appendColumn(buffer[i]!, column, leaves, from, to);
          addSegment(output.segments, {
            inputFileId: file.id,
            inputRowStart: range.start,
            outputRowStart: output.rows + buffered,
            rowCount: range.end - range.start,
          });
          buffered += range.end - range.start;
        }
        rowStart = rowEnd;
        if (buffered >= rowGroupRows) await flushRowGroup();
      }
    }
    await flushRowGroup();
    if (output.rows > 0) {
      stampLineage(output);
      outputs.push(await finishOutput(output));
    }
    return outputs;
  } catch (error) {
    // The open output is discarded; completed ones stay, as when outputs were put whole.
    await output.upload.abort().catch(() => undefined);
    throw error;
  }
}

/**
 * One output column's values since the last row group, as chunks in row order (joined when the
 * row group is written): a decoded leaf that needs no conversion is kept as hyparquet made it
 * (no copy, no per-value work), converted values are built into a chunk of their own.
 */
type ColumnChunks = ArrayLike<OutputValue>[];

/** Appends rows [from, to) of one output column, converted from the row group's leaf arrays. */
function appendColumn(
  target: ColumnChunks,
  column: InputPlan['columns'][number],
  leaves: ArrayLike<unknown>[],
  from: number,
  to: number,
): void {
  if ('constant' in column) {
    target.push(new Array<OutputValue>(to - from).fill(column.constant));
    return;
  }
  const { first, reader } = column;
  const { convert } = reader;
  if (convert === same) {
    // The writer reads undefined as null (levels, statistics, dictionary), as `same` maps it.
    const values = leaves[first] as ArrayLike<RawValue>;
    target.push(from === 0 && to === values.length ? values : Array.prototype.slice.call(values, from, to));
    return;
  }
  const out = new Array<OutputValue>(to - from);
  if (convert) {
    const values = leaves[first] as ArrayLike<RawValue>;
    for (let r = from; r < to; r++) out[r - from] = convert(values[r]);
    target.push(out);
    return;
  }
  const own = leaves.slice(first, first + reader.leaves.length);
  // One views array for all rows: readers only read it (descending copies).
  const views = new Array<unknown>(own.length);
  for (let r = from; r < to; r++) {
    for (let l = 0; l < own.length; l++) views[l] = own[l]![r];
    out[r - from] = reader.read(views, 0);
  }
  target.push(out);
}

/** Plain arrays joined per call (V8 copies them in bulk); a call takes at most this many. */
const JOIN_BATCH = 1024;

/** The chunks as one column of `rows` values (the only chunk itself when there is one). */
function joinChunks(chunks: ColumnChunks, rows: number): ArrayLike<OutputValue> {
  if (chunks.length === 1) return chunks[0]!;
  if (chunks.every((chunk) => Array.isArray(chunk))) {
    let joined: OutputValue[] = [];
    for (let i = 0; i < chunks.length; i += JOIN_BATCH)
      joined = joined.concat(...(chunks.slice(i, i + JOIN_BATCH) as OutputValue[][]));
    return joined;
  }
  const joined = new Array<OutputValue>(rows);
  let at = 0;
  for (const chunk of chunks) for (let i = 0; i < chunk.length; i++) joined[at++] = chunk[i]!;
  return joined;
}

/** Footer key holding an output's segments, for recovery when the registry missed the commit. */
export const LINEAGE_KEY = 'astha.lineage';

/** Writes the output's segments into its footer as `[[inputFileId, inputRowStart, outputRowStart, rowCount], ...]`. */
function stampLineage(output: OpenOutput): void {
  const value = JSON.stringify(
    output.segments.map((s) => [s.inputFileId, s.inputRowStart, s.outputRowStart, s.rowCount]),
  );
  output.writer.kvMetadata = [...(output.writer.kvMetadata ?? []), { key: LINEAGE_KEY, value }];
}

/** [start, end) minus the sorted, disjoint `excluded` ranges. */
function keptRanges(start: number, end: number, excluded: readonly RowRange[]): RowRange[] {
  const kept: RowRange[] = [];
  let at = start;
  for (const range of excluded) {
    if (range.end <= at) continue;
    if (range.start >= end) break;
    if (range.start > at) kept.push({ start: at, end: range.start });
    at = Math.max(at, range.end);
    if (at >= end) break;
  }
  if (at < end) kept.push({ start: at, end });
  return kept;
}

/** Appends a segment, extending the last one when it continues it on both sides. */
function addSegment(segments: RowSegment[], segment: RowSegment): void {
  const last = segments.at(-1);
  if (
    last &&
    last.inputFileId === segment.inputFileId &&
    last.inputRowStart + last.rowCount === segment.inputRowStart &&
    last.outputRowStart + last.rowCount === segment.outputRowStart
  ) {
    last.rowCount += segment.rowCount;
    return;
  }
  segments.push(segment);
}

/** The table's current columns that at least one input holds (absent ones read as null anyway). */
async function outputFields(
  files: readonly LiveFile[],
  options: RewriteOptions,
  footers: Map<number, FileMetaData>,
  footerBytes: FooterBytes,
): Promise<NestedField[]> {
  const present = new Set<string>();
  await mapInFlight(files, FOOTER_READS_IN_FLIGHT, async (file) => {
    const metadata = await parquetMetadataAsync(await footerBytes.footerSource(options.store, file));
    footers.set(file.id, metadata);
    for (const column of parquetSchema(metadata).children) present.add(column.element.name);
  });
  return options.schema.fields.filter((f) => present.has(f.name));
}

function planInput(
  file: LiveFile,
  metadata: FileMetaData,
  fields: NestedField[],
  options: RewriteOptions,
): InputPlan {
  const topLevel = new Map<string, SchemaTree>(
    parquetSchema(metadata).children.map((c) => [c.element.name, c]),
  );
  const partitionValues = JSON.parse(file.partitionValuesJson) as Record<string, string | null>;
  const identitySources = new Set(
    options.spec.fields.filter((f) => f.transform === 'identity').map((f) => f.sourceId),
  );
  const read: string[] = [];
  const slots = new Map<string, number>();
  const columns = fields.map((field) => {
    const node = topLevel.get(field.name);
    if (node) {
      const reader = columnReader(node, field.type, field.name);
      read.push(field.name);
      const first = slots.size;
      for (const path of reader.leaves) slots.set(leafKey(path), slots.size);
      return { first, reader };
    }
    // A Hive file usually lacks its partition columns: their value is the partition's.
    const raw = identitySources.has(field.id) ? partitionValues[field.name] : undefined;
    if (raw === undefined || raw === null || typeof field.type !== 'string') return { constant: null };
    const value = partitionValueFromPath(field.type, encodeURIComponent(raw));
    return { constant: rawPartitionValue(value, field.type) };
  });
  return { metadata, raw: rawMetadata(metadata), read, slots, columns };
}

function leafKey(path: readonly string[]): string {
  return JSON.stringify(path);
}

const FOOTER_READS_IN_FLIGHT = 8;
/**
 * The row group's leveled values of every leaf the plan reads, by slot (see `columnReader`):
 * hyparquet's per-leaf page data, before its own nested assembly (columnar: no row objects).
 */
async function readLeaves(
  source: AsyncBuffer,
  plan: InputPlan,
  rowStart: number,
  rowEnd: number,
): Promise<ArrayLike<unknown>[]> {
  const rows = rowEnd - rowStart;
  const leaves: ArrayLike<unknown>[] = Array.from(
    { length: plan.slots.size },
    () => new Array<unknown>(rows),
  );
  if (plan.read.length === 0) return leaves;
  await parquetRead({
    file: source,
    metadata: plan.raw,
    columns: plan.read,
    rowStart,
    rowEnd,
    utf8: false,
    // Every codec registration accepts (hyparquet alone reads only SNAPPY and UNCOMPRESSED).
    compressors: PAGE_DECOMPRESSORS,
    // INT96 is always converted: keep its nanoseconds exact (the converter scales them).
    parsers: { timestampFromNanoseconds: (nanos: bigint) => nanos },
    // Without onChunk or onComplete hyparquet does not assemble nested values (see columnReader).
    onPage: (page) => {
      const slot = plan.slots.get(leafKey(page.pathInSchema));
      if (slot === undefined) return;
      if (page.rowStart === rowStart && page.rowEnd === rowEnd) {
        leaves[slot] = page.columnData;
        return;
      }
      const target = leaves[slot] as unknown[];
      const from = Math.max(page.rowStart, rowStart);
      const to = Math.min(page.rowEnd, rowEnd);
      for (let row = from; row < to; row++) target[row - rowStart] = page.columnData[row - page.rowStart];
    },
  });
  return leaves;
}

interface OpenOutput {
  path: string;
  /** Holds the bytes since the last row group; `offset` counts the whole file. */
  bytes: ByteWriter;
  writer: ParquetWriter;
  upload: ObjectUpload;
  rows: number;
  segments: RowSegment[];
}

/**
 * A ByteWriter that hands each encoded row group to the upload and reuses its buffer, so an
 * output never sits in memory whole. ParquetWriter calls `flush` after every row group and
 * awaits it. `offset` keeps counting from the file's start (only `index` is reset), so the
 * column chunk offsets in the footer are file offsets.
 */
class UploadingWriter extends ByteWriter {
  /** Set once the ParquetWriter exists (it writes the magic through this writer first). */
  parquet: ParquetWriter | undefined;

  constructor(private readonly upload: ObjectUpload) {
    super();
  }

  async flush(): Promise<void> {
    const rowGroup = this.parquet?.row_groups.at(-1);
    if (rowGroup) ownStatistics(rowGroup);
    await this.upload.write(this.getBytes());
    this.index = 0;
  }
}

type WriterRowGroup = ParquetWriter['row_groups'][number];

/**
 * Byte-array min/max statistics are the column's own values, views into a decoded input page.
 * The writer keeps them until the footer, so each would pin its whole page (about 1 MB per
 * output row group, memory growing with the output); copies pin only their own bytes.
 */
function ownStatistics(rowGroup: WriterRowGroup): void {
  for (const column of rowGroup.columns) {
    const statistics = column.meta_data?.statistics;
    if (!statistics) continue;
    for (const bound of ['min_value', 'max_value', 'min', 'max'] as const) {
      const value = statistics[bound];
      if (value instanceof Uint8Array && value.byteLength < value.buffer.byteLength) {
        statistics[bound] = value.slice();
      }
    }
  }
}

/** hyparquet-writer bundles its own hyparquet types; the elements built here are valid in both. */
type WriterSchema = ConstructorParameters<typeof ParquetWriter>[0]['schema'];

export type OutputCodec = 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';

/**
 * The output codec for a table's `write.parquet.compression-codec`: snappy, gzip (native zlib)
 * or none. Codecs Node 20 cannot write (zstd, Iceberg's default when the property is set by
 * another engine; lz4; brotli) fall back to snappy, which every reader decodes fast.
 */
export function outputCodec(property: string | undefined): OutputCodec {
  const wanted = (property ?? '').toLowerCase();
  if (wanted === 'gzip') return 'GZIP';
  if (wanted === 'uncompressed' || wanted === 'none') return 'UNCOMPRESSED';
  return 'SNAPPY';
}

const gzip = (input: Uint8Array) => new Uint8Array(gzipSync(input, { level: 6 }));

/**
 * Starts an output file and its upload. Nothing reaches the store before the first row group
 * is flushed, so an output that never gets rows leaves nothing behind.
 */
function newOutput(schema: PqElement[], group: RewriteGroup, options: RewriteOptions): OpenOutput {
  const partition = group.partitionPath === '' ? '' : `${group.partitionPath}/`;
  const path = `${options.tableKeyPrefix}/data/${partition}_astha-compacted-${randomUUID()}.parq`;
  // Unconditional, like the put it replaces: the name is a fresh UUID.
  const upload = options.store.upload(path, { contentType: 'application/vnd.apache.parquet' });
  const bytes = new UploadingWriter(upload);
  const writer = new ParquetWriter({
    writer: bytes,
    schema: schema as unknown as WriterSchema,
    codec: options.codec ?? 'SNAPPY',
    compressors: { GZIP: gzip },
    createdBy: 'astha compactor',
  });
  bytes.parquet = writer;
  return { path, bytes, writer, upload, rows: 0, segments: [] };
}

function emptyColumns(count: number): ColumnChunks[] {
  return Array.from({ length: count }, () => []);
}

/** Writes the footer, inspects it and completes the upload: the file appears whole or not at all. */
async function finishOutput(output: OpenOutput): Promise<RewrittenFile> {
  await output.writer.finish();
  // Everything after the last row group: page indexes, metadata, length and magic.
  const tail = output.bytes.getBytes();
  const size = output.bytes.offset;
  const footer = await readParquetFooter(tailBuffer(tail, size));
  await output.upload.write(tail);
  const info = await output.upload.complete();
  return {
    path: output.path,
    size,
    etag: info.etag.replace(/^"(.*)"$/, '$1'),
    rowCount: output.rows,
    inspection: inspectFooter(footer, size),
    segments: output.segments,
  };
}

/**
 * The file's last bytes at their file offsets. The footer reader asks for up to 64 KiB before
 * the end in one slice but decodes only from the metadata's start, which is inside the tail;
 * bytes already uploaded read as zeros.
 */
const LEADING_MAGIC = new TextEncoder().encode('PAR1');

function tailBuffer(tail: Uint8Array, size: number): AsyncBuffer {
  const tailStart = size - tail.length;
  return {
    byteLength: size,
    slice: (start: number, end = size) => {
      const out = new Uint8Array(end - start);
      // The footer reader also checks the leading magic, which the writer put first.
      for (let i = Math.max(0, start); i < Math.min(4, end); i++) out[i - start] = LEADING_MAGIC[i]!;
      const from = Math.max(start, tailStart);
      if (end > from) out.set(tail.subarray(from - tailStart, end - tailStart), from - start);
      return out.buffer;
    },
  };
}
