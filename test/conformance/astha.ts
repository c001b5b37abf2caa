/**
 * astha's side of the conformance suite: commit what the warehouse registered, find the table's
 * metadata.json, and make Parquet files with hyparquet-writer (a second writer besides pyarrow).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer';
import { type CommittedPending, commitPending } from '../../lib/iceberg/commitPending.js';
import type { Warehouse } from './warehouse.js';

/** The registry id of `namespace.table`; throws when registration did not create it. */
export async function tableId(warehouse: Warehouse, namespace: string, table: string): Promise<number> {
  const row = await warehouse.registry.tableByName(namespace, table);
  if (!row) throw new Error(`table ${namespace}.${table} is not registered`);
  return row.id;
}

/** Commits every pending file of the table; a commit that finds nothing pending is a test failure. */
export async function commitAll(warehouse: Warehouse, id: number): Promise<CommittedPending> {
  const result = await commitPending(id, { registry: warehouse.registry, store: warehouse.store });
  if (result === 'nothing pending') throw new Error(`table ${id} had nothing pending to commit`);
  return result;
}

/** Lands files (relative paths of the stage), then commits them as one snapshot. */
export async function landAndCommit(
  warehouse: Warehouse,
  namespace: string,
  table: string,
  paths: readonly string[],
): Promise<CommittedPending> {
  const outcomes = await warehouse.land(paths);
  const refused = outcomes.filter((outcome) => outcome.status !== 'registered');
  if (refused.length > 0) throw new Error(`registration refused: ${JSON.stringify(refused.slice(0, 3))}`);
  return commitAll(warehouse, await tableId(warehouse, namespace, table));
}

const AWKWARD = ['Grüße aus Köln', '日本語のテキスト', 'emoji 🌍🚀✨', '', 'ασδφ'];
// Longer than hyparquet-writer's 16-byte statistics truncation: its max statistic is a prefix.
const LONG_MAX = 'zzzzzzzzzzzzzzzzzzzzzzzz-the-largest-value';

/** A hyparquet-writer file: long, string (unicode, long, nulls), double (NaN, nulls), boolean, timestamp. */
export function hyparquetFile(rows: number, seed: number): Uint8Array {
  const at = (i: number) => new Date(Date.UTC(2024, 0, 1 + (i % 28), seed % 24, i % 60, 7, (i * 37) % 1000));
  const columns: ColumnSource[] = [
    {
      name: 'id',
      data: BigInt64Array.from({ length: rows }, (_, i) => BigInt(seed * 1_000_000 + i)),
      type: 'INT64',
      nullable: false,
    },
    {
      name: 'name',
      data: Array.from({ length: rows }, (_, i) =>
        i === rows - 1 ? LONG_MAX : i % 7 === 3 ? null : `${AWKWARD[i % AWKWARD.length]}-${seed}-${i}`,
      ),
      type: 'STRING',
    },
    {
      name: 'amount',
      data: Array.from({ length: rows }, (_, i) =>
        i % 5 === 0 ? null : i % 11 === 0 ? Number.NaN : i * 1.25 - seed,
      ),
      type: 'DOUBLE',
    },
    {
      name: 'flag',
      data: Array.from({ length: rows }, (_, i) => (i % 6 === 0 ? null : i % 2 === 0)),
      type: 'BOOLEAN',
    },
    {
      name: 'at',
      data: Array.from({ length: rows }, (_, i) => (i % 9 === 0 ? null : at(i))),
      type: 'TIMESTAMP',
    },
  ];
  return new Uint8Array(parquetWriteBuffer({ columnData: columns, rowGroupSize: 32 }));
}

export const HYPARQUET_LONG_MAX = LONG_MAX;

/** A hyparquet-writer file of the given columns. */
export function parquetWith(columns: ColumnSource[]): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({ columnData: columns }));
}

/** Puts bytes into the stage at `path` (relative to the warehouse), as a user's upload would be. */
export function writeStaged(warehouse: Warehouse, path: string, bytes: Uint8Array): void {
  const full = join(warehouse.stage, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, bytes);
}

/** Writes a hyparquet-writer file into the stage at `path`. */
export function stageHyparquetFile(warehouse: Warehouse, path: string, rows: number, seed: number): void {
  writeStaged(warehouse, path, hyparquetFile(rows, seed));
}
