/**
 * A table with history, on the filesystem store: 1,000 files in 100 commits (partitioned by day),
 * then 50 more single-file commits, so it went through 150 commits and past
 * `commit.manifest.min-count-to-merge` (100): its manifests were merged. PyIceberg and DuckDB
 * read both the 100th and the 150th version (older metadata files stay readable) and must see
 * every file once, every row and value, and every snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { landAndCommit } from './astha.js';
import {
  addSummaries,
  type FileSpec,
  type ReadResult,
  type RowFilter,
  readTables,
  seen,
  type WriteReport,
  writeFiles,
} from './readers.js';
import { openWarehouse, type Warehouse } from './warehouse.js';

const DAYS = Array.from({ length: 10 }, (_, i) => `2024-02-${String(i + 1).padStart(2, '0')}`);
const DAY_5: RowFilter = { column: 'dt', op: '==', value: DAYS[4]! };
const FIRST_FILES = 1000;
const FIRST_COMMITS = 100;
const LATER_COMMITS = 50;

/** File i is in day i mod 10; tiny files, 1–3 rows each. */
function files(count: number): FileSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    dir: 'hist/events/data',
    name: `f-${String(i).padStart(4, '0')}.parquet`,
    partition: [['dt', 'date', DAYS[i % DAYS.length]!]],
    profile: 'simple',
    rows: 1 + (i % 3),
    seed: 10_000 + i,
  }));
}

async function metadataLocation(warehouse: Warehouse): Promise<string> {
  const row = await warehouse.registry.tableByName('hist', 'events');
  if (!row?.metadata_location) throw new Error('hist.events has no metadata location');
  return row.metadata_location;
}

describe('a table through 150 commits: 1,000 files in the first 100 (fs store)', () => {
  let warehouse: Warehouse;
  let written: WriteReport;
  let at100: ReadResult[];
  let at150: ReadResult[];

  beforeAll(async () => {
    warehouse = await openWarehouse('fs');
    written = await writeFiles(warehouse.stage, files(FIRST_FILES + LATER_COMMITS), [DAY_5]);
    const paths = written.files.map((file) => file.path);
    const perCommit = FIRST_FILES / FIRST_COMMITS;
    for (let c = 0; c < FIRST_COMMITS; c++) {
      await landAndCommit(warehouse, 'hist', 'events', paths.slice(c * perCommit, (c + 1) * perCommit));
    }
    const version100 = await metadataLocation(warehouse);
    for (const path of paths.slice(FIRST_FILES)) await landAndCommit(warehouse, 'hist', 'events', [path]);
    const version150 = await metadataLocation(warehouse);
    const results = await readTables([
      { mode: 'pyiceberg', metadata: version100 },
      { mode: 'duckdb', metadata: version100 },
      { mode: 'pyiceberg', metadata: version100, filter: DAY_5 },
      { mode: 'duckdb', metadata: version100, filter: DAY_5 },
      { mode: 'pyiceberg', metadata: version150 },
      { mode: 'duckdb', metadata: version150 },
      { mode: 'metrics', metadata: version150 },
    ]);
    at100 = results.slice(0, 4);
    at150 = results.slice(4);
  }, 600_000);

  afterAll(() => warehouse?.close());

  const first = () => addSummaries(written.files.slice(0, FIRST_FILES));
  const firstDay5 = () => addSummaries(written.files.slice(0, FIRST_FILES).map((file) => file.filters[0]!));

  it('after 100 commits PyIceberg plans each of the 1,000 files once and reads every row and value', () => {
    const [pyiceberg] = at100;
    expect(seen(pyiceberg!)).toEqual(first());
    expect(pyiceberg!.planned_files).toBe(1000);
    expect(new Set(pyiceberg!.planned_paths).size).toBe(1000);
    expect(pyiceberg!.snapshots).toBe(100);
  });

  it('after 100 commits DuckDB reads every row and value and sees 100 snapshots', () => {
    const [, duckdb] = at100;
    expect(seen(duckdb!)).toEqual(first());
    expect(duckdb!.snapshots).toBe(100);
  });

  it('a one-day filter plans that day’s 100 files and returns its rows', () => {
    const [, , pyiceberg, duckdb] = at100;
    expect(firstDay5().rows).toBeGreaterThan(0);
    expect(pyiceberg!.planned_files).toBe(100);
    expect(seen(pyiceberg!)).toEqual(firstDay5());
    expect(seen(duckdb!)).toEqual(firstDay5());
  });

  it('after 150 commits PyIceberg reads all 1,050 files once, through merged manifests', () => {
    const [pyiceberg] = at150;
    expect(seen(pyiceberg!)).toEqual({ rows: written.total.rows, checksum: written.total.checksum });
    expect(pyiceberg!.snapshots).toBe(150);
    expect(pyiceberg!.planned_files).toBe(1050);
    expect(new Set(pyiceberg!.planned_paths).size).toBe(1050);
    // A fast append adds one manifest per commit (150); merging keeps the list under the threshold.
    expect(pyiceberg!.manifests).toBeGreaterThan(0);
    expect(pyiceberg!.manifests).toBeLessThanOrEqual(100);
  });

  it('merged manifests keep every file’s metrics true to its data', () => {
    const [, , metrics] = at150;
    expect(metrics!.error).toBeUndefined();
    expect(metrics!.files_checked).toBe(1050);
    expect(metrics!.violations).toEqual([]);
  });

  it('after 150 commits DuckDB reads every row and value and sees 150 snapshots', () => {
    const [, duckdb] = at150;
    expect(seen(duckdb!)).toEqual({ rows: written.total.rows, checksum: written.total.checksum });
    expect(duckdb!.snapshots).toBe(150);
  });
});
