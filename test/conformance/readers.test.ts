/**
 * The yardstick itself: on a table PyIceberg wrote (its own add_files), PyIceberg and DuckDB
 * must report what pyarrow wrote — same rows, same checksum over every type the suite uses —
 * or comparing astha's tables with them would prove nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PyIcebergTableReport,
  pyicebergTable,
  type ReadResult,
  readTables,
  type RowFilter,
  seen,
  type WriteReport,
  writeFiles,
} from './readers.js';

const FIRST_FILE_ONLY: RowFilter = { column: 'id', op: '<', value: 2_000_000 };

describe('reader yardstick on a table PyIceberg wrote', () => {
  let dir: string;
  let written: WriteReport;
  let table: PyIcebergTableReport;
  let results: ReadResult[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'astha-yardstick-'));
    const files = [1, 2, 3].map((seed) => ({
      dir: 'src',
      name: `part-${seed}.parquet`,
      profile: 'types_utc' as const,
      rows: 40 + seed,
      seed,
      row_group_size: 16,
    }));
    written = await writeFiles(dir, files, [FIRST_FILE_ONLY]);
    table = await pyicebergTable({
      warehouse: join(dir, 'warehouse'),
      catalog: join(dir, 'catalog.db'),
      table: 'types',
      files: written.files.map((file) => join(dir, file.path)),
      commits: 2,
    });
    results = await readTables([
      { mode: 'pyiceberg', metadata: table.metadata },
      { mode: 'duckdb', metadata: table.metadata },
      { mode: 'pyiceberg', metadata: table.metadata, filter: FIRST_FILE_ONLY },
      { mode: 'duckdb', metadata: table.metadata, filter: FIRST_FILE_ONLY },
    ]);
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('PyIceberg reads every row and value pyarrow wrote', () => {
    const [full] = results;
    expect(seen(full!)).toEqual({ rows: 126, checksum: written.total.checksum });
    expect(full!.planned_files).toBe(3);
    expect(full!.snapshots).toBe(2);
  });

  it('DuckDB reads the same rows and values', () => {
    const [, full] = results;
    expect(seen(full!)).toEqual({ rows: 126, checksum: written.total.checksum });
    expect(full!.snapshots).toBe(2);
  });

  it('a filtered scan returns what pyarrow says the filter keeps, and PyIceberg plans one file', () => {
    const [, , pyiceberg, duckdb] = results;
    const expected = written.total.filters[0]!;
    expect(expected.rows).toBe(41);
    expect(seen(pyiceberg!)).toEqual(expected);
    expect(seen(duckdb!)).toEqual(expected);
    expect(pyiceberg!.planned_files).toBe(1);
    expect(expected.checksum).not.toBe(written.total.checksum);
  });

  it('both readers see the same column names', () => {
    const [pyiceberg, duckdb] = results;
    const names = (result: ReadResult) => result.schema?.map((column) => column.name);
    expect(names(pyiceberg!)).toEqual(names(duckdb!));
    expect(names(pyiceberg!)).toContain('dec38');
  });
});
