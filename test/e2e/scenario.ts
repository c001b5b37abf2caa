/**
 * The end-to-end scenario shared by the embedded and LocalStack runs: 200 Parquet files from
 * two writers land in parallel in one partitioned table; the second writer adds a column
 * halfway. What the test expects is computed here from what was written, never from astha.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { Registry } from '../../lib/registry/registry.js';

export interface LandedFile {
  key: string;
  body: Uint8Array;
  ids: number[];
  hasNote: boolean;
}

const ROWS_PER_FILE = 5;

/** Writer 1 (hyparquet-writer): id, customer, amount. */
function writerOneFile(firstId: number): Uint8Array {
  const ids = BigInt64Array.from({ length: ROWS_PER_FILE }, (_, i) => BigInt(firstId + i));
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: 'id', data: ids, type: 'INT64' },
        {
          name: 'customer',
          data: Array.from({ length: ROWS_PER_FILE }, (_, i) => `cust-${(firstId + i) % 7}`),
          type: 'STRING',
        },
        {
          name: 'amount',
          data: Array.from({ length: ROWS_PER_FILE }, (_, i) => (firstId + i) / 4),
          type: 'DOUBLE',
        },
      ],
    }),
  );
}

/** Writer 2 (hyparquet-writer with a different column order and, later, an extra column `note`). */
function writerTwoFile(firstId: number, withNote: boolean): Uint8Array {
  const ids = BigInt64Array.from({ length: ROWS_PER_FILE }, (_, i) => BigInt(firstId + i));
  const columns = [
    {
      name: 'amount',
      data: Array.from({ length: ROWS_PER_FILE }, (_, i) => (firstId + i) / 4),
      type: 'DOUBLE' as const,
    },
    { name: 'id', data: ids, type: 'INT64' as const },
    {
      name: 'customer',
      data: Array.from({ length: ROWS_PER_FILE }, (_, i) => `cust-${(firstId + i) % 7}`),
      type: 'STRING' as const,
    },
  ];
  if (withNote) {
    columns.push({
      name: 'note',
      data: Array.from({ length: ROWS_PER_FILE }, (_, i) => `note ✓ ${firstId + i}`),
      type: 'STRING' as const,
    });
  }
  return new Uint8Array(parquetWriteBuffer({ columnData: columns }));
}

/** 200 files over 4 days: even files from writer 1, odd from writer 2 (with `note` in the second half). */
export function scenarioFiles(table = 'e2e/events', count = 200): LandedFile[] {
  const files: LandedFile[] = [];
  for (let i = 0; i < count; i++) {
    const firstId = i * ROWS_PER_FILE + 1;
    const day = `2026-11-${String(20 + (i % 4)).padStart(2, '0')}`;
    const secondWriter = i % 2 === 1;
    const hasNote = secondWriter && i >= count / 2;
    files.push({
      key: `${table}/data/day=${day}/${secondWriter ? 'w2' : 'w1'}-${String(i).padStart(4, '0')}.parquet`,
      body: secondWriter ? writerTwoFile(firstId, hasNote) : writerOneFile(firstId),
      ids: Array.from({ length: ROWS_PER_FILE }, (_, r) => firstId + r),
      hasNote,
    });
  }
  return files;
}

export interface TableSummary {
  rows: number;
  ids: number[];
  non_null: Record<string, number>;
  columns: string[];
  files: string[];
  snapshots: number;
}

/** PyIceberg's view of a table. */
export function summarizeTable(metadataLocation: string, s3Endpoint?: string): Promise<TableSummary> {
  const script = join(process.cwd(), 'test', 'e2e', 'summarize_table.py');
  const args = [script, metadataLocation, ...(s3Endpoint ? [s3Endpoint] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(join(process.cwd(), '.venv', 'bin', 'python'), args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.once('close', (code) => {
      if (code === 0) resolve(JSON.parse(out) as TableSummary);
      else reject(new Error(`summarize_table.py failed (${code}): ${err.slice(-3000)}`));
    });
  });
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * Where the landed (user) files stand now that the compactor runs too: `inTable` counts those
 * committed and those compaction replaced (their rows live in an output); `compactedAway` the
 * latter; `outputs` the live compaction outputs.
 */
export async function userFiles(
  registry: Registry,
): Promise<{ inTable: number; compactedAway: number; inFlight: number; rejected: number; outputs: number }> {
  const result = await registry.client.execute(
    `SELECT
       sum(astha_written = 0 AND iceberg_state = 'committed') AS committed,
       sum(astha_written = 0 AND iceberg_state = 'removed' AND retracted_at IS NULL
           AND EXISTS (SELECT 1 FROM compacted_rows c WHERE c.source_file_id = table_files.id)) AS compacted,
       sum(iceberg_state IN ('pending', 'committing')) AS in_flight,
       sum(iceberg_state = 'rejected') AS rejected,
       sum(astha_written = 1 AND iceberg_state = 'committed') AS outputs
     FROM table_files`,
  );
  const row = result.rows[0]!;
  const n = (v: unknown) => Number(v ?? 0);
  return {
    inTable: n(row.committed) + n(row.compacted),
    compactedAway: n(row.compacted),
    inFlight: n(row.in_flight),
    rejected: n(row.rejected),
    outputs: n(row.outputs),
  };
}

/** Polls until `check` holds (returning its last value either way once `timeoutMs` passed). */
export async function pollUntil<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs: number,
  everyMs = 300,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Polls until `count` landed files are in the table (or rejected), nothing is in flight and the CDC log is drained. */
export function waitForLanded(registry: Registry, count: number, timeoutMs: number, everyMs = 300) {
  return pollUntil(
    async () => ({ files: await userFiles(registry), backlog: (await registry.status()).cdc.backlog }),
    ({ files, backlog }) => files.inTable + files.rejected >= count && files.inFlight === 0 && backlog === 0,
    timeoutMs,
    everyMs,
  );
}
