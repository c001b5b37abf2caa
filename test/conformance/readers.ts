/**
 * The conformance suite's way to the Python side: pyarrow writes user-style Parquet files and
 * says what it wrote; PyIceberg and DuckDB read Iceberg tables and say what they saw. Both
 * report row counts and the same order-independent checksum (test/python/readers/canonical.py),
 * so "read == written" is one comparison and nothing on the expected side comes from astha.
 * One Python process per call: batch reads to keep start-ups (≈1 s each) few.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { LocalstackInfo } from '../harness/services.js';

const ROOT = process.cwd();
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const SCRIPTS = {
  read: join(ROOT, 'test', 'python', 'readers', 'read_table.py'),
  write: join(ROOT, 'test', 'python', 'writers', 'write_files.py'),
  pyicebergTable: join(ROOT, 'test', 'python', 'writers', 'pyiceberg_table.py'),
};

export type FilterOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'is_null' | 'not_null';

/** One row filter as data; each reader and pyarrow render it themselves. */
export interface RowFilter {
  column: string;
  op: FilterOp;
  value?: string | number | boolean;
}

/** Row count and checksum (decimal string of a sum mod 2^64). */
export interface Summary {
  rows: number;
  checksum: string;
}

export type PartitionType = 'long' | 'date' | 'string';
export type Profile = 'types' | 'types_utc' | 'nanos' | 'ids' | 'simple';

export interface FileSpec {
  /** Directory below the writer's root, e.g. `ns/t/data`. */
  dir: string;
  name: string;
  /** Hive segments `col=value` in order; their typed values count as columns of every row. */
  partition?: [column: string, type: PartitionType, value: string | number | null][];
  /** Omitted: an existing file (another writer's) that is only read and summed. */
  profile?: Profile;
  rows?: number;
  seed?: number;
  row_group_size?: number;
  /** How another tool would lay the file out: legacy list shape, or Spark's INT96 + Parquet 1.0. */
  flavor?: 'default' | 'legacy' | 'spark';
  /** Page codec (pyarrow's name; `lz4` writes LZ4_RAW), default snappy. */
  compression?: 'none' | 'snappy' | 'gzip' | 'zstd' | 'brotli' | 'lz4';
  data_page_version?: '1.0' | '2.0';
  /** Write each page's CRC-32. */
  page_checksum?: boolean;
}

export interface WrittenFile extends Summary {
  /** Relative to the writer's root. */
  path: string;
  /** One summary per requested filter: the rows of this file it keeps. */
  filters: Summary[];
}

export interface WriteReport {
  files: WrittenFile[];
  total: Summary & { filters: Summary[] };
}

export interface S3Access {
  endpoint: string;
  region: string;
  access_key_id: string;
  secret_access_key: string;
}

/** `metrics` checks the manifests' column metrics against the data files (check_metrics.py). */
export type ReaderMode = 'pyiceberg' | 'duckdb' | 'metrics';

export interface ReadRequest {
  mode: ReaderMode;
  /** metadata.json location: s3://…, a local path or a file:// URI. */
  metadata: string;
  filter?: RowFilter;
}

export interface SchemaColumn {
  name: string;
  type: string;
}

export interface ReadResult extends Partial<Summary> {
  mode: ReaderMode;
  metadata: string;
  filter: RowFilter | null;
  schema?: SchemaColumn[];
  snapshots?: number;
  /** PyIceberg only: manifests the current snapshot's manifest list names. */
  manifests?: number;
  /** PyIceberg only: data files its scan plan keeps for the filter. */
  planned_files?: number;
  planned_paths?: string[];
  /** Mode metrics: data files and metric comparisons checked, and every wrong metric. */
  files_checked?: number;
  checks?: number;
  violations?: string[];
  /** The reader's error, when it could not read the table. */
  error?: string;
  trace?: string;
}

export interface PyIcebergTableRequest {
  warehouse: string;
  catalog: string;
  namespace?: string;
  table: string;
  /** Absolute paths of Parquet files to add with `add_files`. */
  files: string[];
  commits?: number;
  partition_by?: string[];
}

export interface PyIcebergTableReport {
  metadata: string;
  create_seconds: number;
  add_files_seconds: number;
  snapshots: number;
  data_files: number;
}

/** Runs a script of the test virtualenv with a JSON request on stdin; resolves its JSON output. */
export function runPython<T>(script: string, request: unknown, args: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    // No __pycache__ next to the scripts in the work tree.
    const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
    const child = spawn(PYTHON, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== 0) {
        reject(new Error(`${script} exited with ${code}:\n${stderr.slice(-4000)}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        reject(new Error(`${script} printed no JSON:\n${stdout.slice(0, 2000)}\n${stderr.slice(-2000)}`));
      }
    });
    child.stdin.end(JSON.stringify(request));
  });
}

/** Writes (or, for entries without a profile, only sums) Parquet files under `root`. */
export function writeFiles(root: string, files: FileSpec[], filters: RowFilter[] = []): Promise<WriteReport> {
  return runPython<WriteReport>(SCRIPTS.write, { root, files, filters });
}

/** Reads every request in one Python process; results in request order. */
export async function readTables(reads: ReadRequest[], s3?: S3Access): Promise<ReadResult[]> {
  const output = await runPython<{ results: ReadResult[] }>(SCRIPTS.read, { reads, s3 }, ['--batch']);
  return output.results;
}

/** A table made by PyIceberg's own `add_files` on a SQLite catalog. */
export function pyicebergTable(request: PyIcebergTableRequest): Promise<PyIcebergTableReport> {
  return runPython<PyIcebergTableReport>(SCRIPTS.pyicebergTable, request);
}

export function s3Access(info: LocalstackInfo): S3Access {
  return {
    endpoint: info.endpoint,
    region: info.region,
    access_key_id: info.credentials.accessKeyId,
    secret_access_key: info.credentials.secretAccessKey,
  };
}

/** Adds summaries the way the checksum is defined (sum mod 2^64). */
export function addSummaries(parts: readonly Summary[]): Summary {
  let checksum = 0n;
  let rows = 0;
  for (const part of parts) {
    checksum = (checksum + BigInt(part.checksum)) % 2n ** 64n;
    rows += part.rows;
  }
  return { rows, checksum: checksum.toString() };
}

/** What a read saw, in the shape it is compared with, or the reader's error so a failure shows it. */
export function seen(result: ReadResult): Summary | { error: string } {
  if (result.error !== undefined) return { error: `${result.error}\n${result.trace ?? ''}` };
  return { rows: result.rows ?? -1, checksum: result.checksum ?? '' };
}
