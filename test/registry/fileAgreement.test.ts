/**
 * A file must agree with its table and its path, not only be readable: Parquet field ids that
 * map columns the other way round than the table, and in-file partition values that contradict
 * the Hive path, are rejected with the reason, alone, while the good files of the same batch are
 * committed and read back by PyIceberg and DuckDB.
 */
import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer';
import { afterEach, describe, expect, it } from 'vitest';
import { commitPending } from '../../lib/iceberg/commitPending.js';
import type { Registry } from '../../lib/registry/registry.js';
import type { RegistrationOutcome } from '../../lib/registry/writeRegistrations.js';
import type { Lake } from '../components/lakeFixture.js';
import { openLake } from '../components/lakeFixture.js';
import { readTables } from '../conformance/readers.js';

let lake: Lake | undefined;
afterEach(() => {
  lake?.close();
  lake = undefined;
});

/** Two int columns `a` and `b` with the given Parquet field ids. */
function idsFile(aId: number, bId: number, rows: number): Uint8Array {
  const a = Int32Array.from({ length: rows }, (_, i) => i + 1);
  const b = Int32Array.from({ length: rows }, (_, i) => (i + 1) * 100);
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'a', data: a },
      { name: 'b', data: b },
    ],
    schema: [
      { name: 'root', num_children: 2 },
      { name: 'a', type: 'INT32', repetition_type: 'OPTIONAL', field_id: aId },
      { name: 'b', type: 'INT32', repetition_type: 'OPTIONAL', field_id: bId },
    ],
  });
  return new Uint8Array(buffer);
}

/** Rows whose `dt` (a date) and `region` columns hold the given values; `stats: false` writes none. */
function partitionedFile(dt: string, region: string, rows: number, stats = true): Uint8Array {
  const columns: ColumnSource[] = [
    { name: 'id', data: Int32Array.from({ length: rows }, (_, i) => i) },
    { name: 'dt', data: Array.from({ length: rows }, () => new Date(`${dt}T00:00:00Z`)), statistics: stats },
    { name: 'region', data: Array.from({ length: rows }, () => region), statistics: stats },
  ];
  const buffer = parquetWriteBuffer({
    columnData: columns,
    schema: [
      { name: 'root', num_children: 3 },
      { name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
      {
        name: 'dt',
        type: 'INT32',
        repetition_type: 'OPTIONAL',
        converted_type: 'DATE',
        logical_type: { type: 'DATE' },
      },
      {
        name: 'region',
        type: 'BYTE_ARRAY',
        repetition_type: 'OPTIONAL',
        converted_type: 'UTF8',
        logical_type: { type: 'STRING' },
      },
    ],
  });
  return new Uint8Array(buffer);
}

async function landAll(
  target: Lake,
  files: Record<string, Uint8Array>,
): Promise<Record<string, RegistrationOutcome>> {
  const refs = [];
  for (const [path, bytes] of Object.entries(files)) {
    const info = await target.store.put(path, bytes);
    refs.push({ bucket: 'local', key: path, size: info.size, etag: info.etag });
  }
  const outcomes = await target.registry.registerBatch(refs, target.store);
  return Object.fromEntries(outcomes.map((o) => [o.object.key, o]));
}

const reasonOf = (outcome: RegistrationOutcome | undefined) =>
  outcome?.status === 'rejected' ? outcome.reason : `not rejected: ${outcome?.status}`;

async function commitAndLocate(registry: Registry, namespace: string, table: string): Promise<string> {
  const row = await registry.tableByName(namespace, table);
  if (!row) throw new Error(`no table ${namespace}.${table}`);
  await commitPending(row.id, { registry, store: lake!.store });
  const after = await registry.tableById(row.id);
  return after!.metadata_location!;
}

describe('files that disagree with their table or path', () => {
  it('are rejected with the reason; the good files beside them are committed and read', async () => {
    lake = await openLake('fs');
    const ids = await landAll(lake, { 'lab/ids/data/good-1.parquet': idsFile(1, 2, 3) });
    expect(ids['lab/ids/data/good-1.parquet']?.status).toBe('registered');
    const outcomes = await landAll(lake, {
      'lab/ids/data/swapped.parquet': idsFile(2, 1, 4),
      'lab/ids/data/good-2.parquet': idsFile(1, 2, 5),
      'lab/events/data/dt=2024-01-01/region=eu/good.parquet': partitionedFile('2024-01-01', 'eu', 3),
      'lab/events/data/dt=2024-01-01/region=eu/wrong-day.parquet': partitionedFile('2024-02-02', 'eu', 4),
      'lab/events/data/dt=2024-01-01/region=eu/wrong-region.parquet': partitionedFile('2024-01-01', 'us', 5),
      'lab/events/data/dt=2024-01-02/region=us/no-stats.parquet': partitionedFile(
        '2024-01-02',
        'us',
        6,
        false,
      ),
    });

    expect(reasonOf(outcomes['lab/ids/data/swapped.parquet'])).toMatch(
      /Parquet field ids disagree with the table.*"a" has field id 2 in the file but 1 in the table \(2 is "b"\)/,
    );
    expect(reasonOf(outcomes['lab/events/data/dt=2024-01-01/region=eu/wrong-day.parquet'])).toMatch(
      /own "dt" values contradict its path dt=2024-01-01: it holds values from "2024-02-02" to "2024-02-02"/,
    );
    expect(reasonOf(outcomes['lab/events/data/dt=2024-01-01/region=eu/wrong-region.parquet'])).toMatch(
      /own "region" values contradict its path region=eu: it holds values from "us" to "us"/,
    );
    expect(outcomes['lab/ids/data/good-2.parquet']?.status).toBe('registered');
    expect(outcomes['lab/events/data/dt=2024-01-01/region=eu/good.parquet']?.status).toBe('registered');
    // Without statistics the footer cannot say what the column holds: accepted on its path.
    expect(outcomes['lab/events/data/dt=2024-01-02/region=us/no-stats.parquet']?.status).toBe('registered');

    const idsTable = await commitAndLocate(lake.registry, 'lab', 'ids');
    const eventsTable = await commitAndLocate(lake.registry, 'lab', 'events');
    const reads = await readTables([
      { mode: 'pyiceberg', metadata: idsTable },
      { mode: 'duckdb', metadata: idsTable },
      { mode: 'pyiceberg', metadata: eventsTable },
      { mode: 'duckdb', metadata: eventsTable },
      { mode: 'pyiceberg', metadata: eventsTable, filter: { column: 'region', op: '==', value: 'eu' } },
    ]);
    expect(reads.map((r) => r.error ?? r.rows)).toEqual([8, 8, 9, 9, 3]);
  });
});
