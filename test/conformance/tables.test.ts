/**
 * Proof by readers no one here wrote (issue 5): files land as users' tools write them
 * (pyarrow, hyparquet-writer), astha registers and commits them, and PyIceberg and DuckDB
 * must read back exactly what was written — row count and a checksum of every value — on the
 * filesystem store and on LocalStack S3. The expected side comes from pyarrow reading or
 * writing the files, never from astha.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commitAll,
  HYPARQUET_LONG_MAX,
  landAndCommit,
  parquetWith,
  stageHyparquetFile,
  tableId,
  writeStaged,
} from './astha.js';
import {
  addSummaries,
  type FileSpec,
  type ReadRequest,
  type ReadResult,
  type RowFilter,
  readTables,
  seen,
  type WriteReport,
  writeFiles,
} from './readers.js';
import { openWarehouse, type StoreKind, type Warehouse } from './warehouse.js';

const DAY_2: RowFilter = { column: 'dt', op: '==', value: '2024-01-02' };
const EU: RowFilter = { column: 'region', op: '==', value: 'eu' };
const NO_REGION: RowFilter = { column: 'region', op: 'is_null' };
const LONGEST_NAME: RowFilter = { column: 'name', op: '==', value: HYPARQUET_LONG_MAX };
const SMALL_I32: RowFilter = { column: 'i32', op: '<', value: 0 };

/**
 * `types`: four pyarrow files with every type, landed and committed two at a time. All zones
 * UTC: PyIceberg 0.12 refuses files whose Arrow schema names another zone (see `zoned`).
 */
function typeFiles(): FileSpec[] {
  return [1, 2, 3, 4].map((seed) => ({
    dir: 'conf/types/data',
    name: `part-${seed}.parquet`,
    profile: 'types_utc',
    rows: 20 + seed * 7,
    seed,
    row_group_size: seed % 2 === 0 ? 10 : undefined,
  }));
}

/** `events`: Hive partitions dt (date) / region (string), one region null (Hive's marker). */
function eventFiles(): FileSpec[] {
  const files: FileSpec[] = [];
  let seed = 100;
  for (const dt of ['2024-01-01', '2024-01-02', '2024-01-03']) {
    for (const region of ['eu', 'us', null]) {
      if (region === null && dt !== '2024-01-03') continue;
      files.push({
        dir: 'conf/events/data',
        name: `part-${seed}.parquet`,
        partition: [
          ['dt', 'date', dt],
          ['region', 'string', region],
        ],
        profile: 'simple',
        rows: 15,
        seed: seed++,
      });
    }
  }
  return files;
}

/** `zoned`: the same types with a Europe/Paris timestamp column (stored as UTC instants). */
const ZONED_FILES: FileSpec[] = [
  { dir: 'conf/zoned/data', name: 'part-1.parquet', profile: 'types', rows: 25, seed: 7 },
];

/** `places`: a long partition (year) and string values that need Hive escaping (/, space, =, é, ü). */
const CITIES = ['São Paulo/SP', 'a=b c', 'Zürich'];
const PLACES_FILES: FileSpec[] = [2023, 2024].flatMap((year, y) =>
  CITIES.map((city, c) => ({
    dir: 'conf/places/data',
    name: `part-${y}-${c}.parquet`,
    partition: [
      ['year', 'long', year],
      ['city', 'string', city],
    ] as FileSpec['partition'],
    profile: 'simple' as const,
    rows: 9,
    seed: 700 + y * 10 + c,
  })),
);
const YEAR_2024: RowFilter = { column: 'year', op: '==', value: 2024 };
const SAO_PAULO: RowFilter = { column: 'city', op: '==', value: CITIES[0]! };

/**
 * Files laid out as other tools write them: `legacy` lists (`list<item>`, older pyarrow, Hive,
 * Spark) and `spark` (legacy lists, INT96 timestamps, Parquet 1.0 annotations); and `ids`,
 * pyarrow's uuid and fixed-size binary columns.
 */
const FLAVOR_FILES: FileSpec[] = [
  {
    dir: 'conf/legacy/data',
    name: 'part-1.parquet',
    profile: 'types_utc',
    rows: 30,
    seed: 41,
    flavor: 'legacy',
  },
  {
    dir: 'conf/spark/data',
    name: 'part-1.parquet',
    profile: 'types_utc',
    rows: 30,
    seed: 42,
    flavor: 'spark',
  },
  { dir: 'conf/ids/data', name: 'part-1.parquet', profile: 'ids', rows: 30, seed: 43 },
];

const HYPARQUET_PATHS = [1, 2, 3].map((seed) => `conf/hyparquet/data/hp-${seed}.parquet`);

/** `evolving`: two `simple` files, then a `types_utc` file that adds many columns (and lacks two). */
const EVOLVING_FIRST: FileSpec[] = [1, 2].map((seed) => ({
  dir: 'conf/evolving/data',
  name: `first-${seed}.parquet`,
  profile: 'simple',
  rows: 12,
  seed: 500 + seed,
}));
const EVOLVING_SECOND: FileSpec[] = [
  { dir: 'conf/evolving/data', name: 'second.parquet', profile: 'types_utc', rows: 18, seed: 503 },
];

/** `mixed`: good files landed together with one that is not Parquet and one whose `id` is text. */
const MIXED_GOOD: FileSpec[] = [1, 2].map((seed) => ({
  dir: 'conf/mixed/data',
  name: `good-${seed}.parquet`,
  profile: 'simple',
  rows: 11,
  seed: 900 + seed,
}));
const MIXED_BAD = ['conf/mixed/data/not-parquet.parquet', 'conf/mixed/data/text-id.parquet'];

interface Written {
  mixed: { good: WriteReport; rejected: string[] };
  flavors: WriteReport;
  evolving: WriteReport[];
  places: WriteReport;
  types: WriteReport;
  zoned: WriteReport;
  events: WriteReport;
  hyparquet: WriteReport;
}

async function build(warehouse: Warehouse): Promise<Written> {
  const types = await writeFiles(warehouse.stage, typeFiles(), [SMALL_I32]);
  const paths = types.files.map((file) => file.path);
  await landAndCommit(warehouse, 'conf', 'types', paths.slice(0, 2));
  await landAndCommit(warehouse, 'conf', 'types', paths.slice(2));

  const evolving = [];
  for (const files of [EVOLVING_FIRST, EVOLVING_SECOND]) {
    const report = await writeFiles(warehouse.stage, files);
    await landAndCommit(
      warehouse,
      'conf',
      'evolving',
      report.files.map((file) => file.path),
    );
    evolving.push(report);
  }

  const mixed = await buildMixed(warehouse);

  const flavors = await writeFiles(warehouse.stage, FLAVOR_FILES);
  for (const [i, table] of ['legacy', 'spark', 'ids'].entries()) {
    await landAndCommit(warehouse, 'conf', table, [flavors.files[i]!.path]);
  }

  const places = await writeFiles(warehouse.stage, PLACES_FILES, [YEAR_2024, SAO_PAULO]);
  await landAndCommit(
    warehouse,
    'conf',
    'places',
    places.files.map((file) => file.path),
  );

  const zoned = await writeFiles(warehouse.stage, ZONED_FILES);
  await landAndCommit(
    warehouse,
    'conf',
    'zoned',
    zoned.files.map((file) => file.path),
  );

  const events = await writeFiles(warehouse.stage, eventFiles(), [DAY_2, EU, NO_REGION]);
  await landAndCommit(
    warehouse,
    'conf',
    'events',
    events.files.map((file) => file.path),
  );

  for (const [i, path] of HYPARQUET_PATHS.entries()) stageHyparquetFile(warehouse, path, 40 + i * 13, i + 1);
  // No profile: pyarrow only reads and sums the hyparquet-writer files.
  const existing = HYPARQUET_PATHS.map((path) => ({
    dir: 'conf/hyparquet/data',
    name: path.split('/').pop()!,
  }));
  const hyparquet = await writeFiles(warehouse.stage, existing, [LONGEST_NAME]);
  await landAndCommit(warehouse, 'conf', 'hyparquet', HYPARQUET_PATHS);
  return { mixed, flavors, evolving, places, types, zoned, events, hyparquet };
}

/** Lands the good and the bad files in one batch; commits; returns the reasons of the rejected. */
async function buildMixed(warehouse: Warehouse): Promise<Written['mixed']> {
  const good = await writeFiles(warehouse.stage, MIXED_GOOD);
  writeStaged(warehouse, MIXED_BAD[0]!, new TextEncoder().encode('id,name\n1,not parquet at all\n'));
  writeStaged(warehouse, MIXED_BAD[1]!, parquetWith([{ name: 'id', data: ['a', 'b'], type: 'STRING' }]));
  const outcomes = await warehouse.land([...good.files.map((file) => file.path), ...MIXED_BAD]);
  const rejected = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
  await commitAll(warehouse, await tableId(warehouse, 'conf', 'mixed'));
  return { good, rejected };
}

async function metadataOf(warehouse: Warehouse, table: string): Promise<string> {
  const row = await warehouse.registry.tableByName('conf', table);
  if (!row?.metadata_location) throw new Error(`conf.${table} has no metadata location in the registry`);
  return row.metadata_location;
}

const READS: [table: string, filter?: RowFilter][] = [
  ['types'],
  ['types', SMALL_I32],
  ['zoned'],
  ['evolving'],
  ['places'],
  ['mixed'],
  ['legacy'],
  ['spark'],
  ['ids'],
  ['places', YEAR_2024],
  ['places', SAO_PAULO],
  ['events'],
  ['events', DAY_2],
  ['events', EU],
  ['events', NO_REGION],
  ['hyparquet'],
  ['hyparquet', LONGEST_NAME],
];

describe.each<StoreKind>(['fs', 's3'])('astha tables read by PyIceberg and DuckDB (%s store)', (kind) => {
  let warehouse: Warehouse;
  let written: Written;
  const results = new Map<string, ReadResult>();
  const result = (mode: string, table: string, filter?: RowFilter) => {
    const found = results.get(`${mode} ${table} ${JSON.stringify(filter ?? null)}`);
    if (!found) throw new Error(`no ${mode} read of ${table}`);
    return found;
  };

  beforeAll(async () => {
    warehouse = await openWarehouse(kind);
    written = await build(warehouse);
    const requests: ReadRequest[] = [];
    for (const [table, filter] of READS) {
      const metadata = await metadataOf(warehouse, table);
      for (const mode of ['pyiceberg', 'duckdb'] as const) requests.push({ mode, metadata, filter });
    }
    const METRIC_TABLES = [
      'types',
      'zoned',
      'events',
      'hyparquet',
      'places',
      'evolving',
      'legacy',
      'spark',
      'ids',
    ];
    for (const table of METRIC_TABLES) {
      requests.push({ mode: 'metrics', metadata: await metadataOf(warehouse, table) });
    }
    // Readers given only the table location find the current version through version-hint.text.
    const location = (await warehouse.registry.tableByName('conf', 'types'))?.location ?? 'missing';
    for (const mode of ['pyiceberg', 'duckdb'] as const) requests.push({ mode, metadata: location });
    const read = await readTables(requests, warehouse.s3);
    read.forEach((r, i) => {
      const { mode } = requests[i]!;
      const extra = i - READS.length * 2;
      const [table, filter] = READS[Math.floor(i / 2)] ?? [METRIC_TABLES[extra] ?? 'types-by-location'];
      results.set(`${mode} ${table} ${JSON.stringify(filter ?? null)}`, r);
    });
  }, 240_000);

  afterAll(() => warehouse?.close());

  describe.each(['pyiceberg', 'duckdb'])('%s', (mode) => {
    it('reads every row and value of the many-types table', () => {
      expect(seen(result(mode, 'types'))).toEqual({
        rows: written.types.total.rows,
        checksum: written.types.total.checksum,
      });
      expect(result(mode, 'types').snapshots).toBe(2);
    });

    it('finds the current version from the table location alone (version-hint.text)', () => {
      expect(seen(result(mode, 'types-by-location'))).toEqual(seen(result(mode, 'types')));
      expect(result(mode, 'types-by-location').snapshots).toBe(2);
    });

    it('reads long partitions and Hive-escaped string partitions as the values written', () => {
      const places = written.places.total;
      expect(seen(result(mode, 'places'))).toEqual({ rows: places.rows, checksum: places.checksum });
      expect(places.filters.map((f) => f.rows)).toEqual([27, 18]);
      expect(seen(result(mode, 'places', YEAR_2024))).toEqual(places.filters[0]);
      expect(seen(result(mode, 'places', SAO_PAULO))).toEqual(places.filters[1]);
    });

    it('a batch with unreadable and incompatible files commits the good ones only', () => {
      const { good } = written.mixed;
      expect(seen(result(mode, 'mixed'))).toEqual({ rows: good.total.rows, checksum: good.total.checksum });
    });

    it('reads legacy list layouts (list<item>) exactly', () => {
      const legacy = written.flavors.files[0]!;
      expect(seen(result(mode, 'legacy'))).toEqual({ rows: legacy.rows, checksum: legacy.checksum });
    });

    it('reads uuid and fixed columns exactly', () => {
      const ids = written.flavors.files[2]!;
      expect(seen(result(mode, 'ids'))).toEqual({ rows: ids.rows, checksum: ids.checksum });
    });

    it('reads Spark-style files (INT96 timestamps, Parquet 1.0 annotations): every row, readers agree', () => {
      // Values are compared between readers only: INT96's zone is a mapping choice (see findings).
      expect(result(mode, 'spark').error).toBeUndefined();
      expect(result(mode, 'spark').rows).toBe(written.flavors.files[1]!.rows);
      expect(result(mode, 'spark').checksum).toBe(result('pyiceberg', 'spark').checksum);
    });

    it('reads files from before and after a schema change; missing columns read as null', () => {
      const expected = addSummaries(written.evolving.map((report) => report.total));
      expect(seen(result(mode, 'evolving'))).toEqual(expected);
      const names = result(mode, 'evolving').schema?.map((column) => column.name);
      expect(names).toEqual(expect.arrayContaining(['amount', 'at', 'i8', 'dec38', 'attrs']));
    });

    it('a filter on a data column returns exactly the rows pyarrow says it keeps', () => {
      const expected = written.types.total.filters[0]!;
      expect(expected.rows).toBeGreaterThan(0);
      expect(seen(result(mode, 'types', SMALL_I32))).toEqual(expected);
    });

    it('reads the Hive-partitioned table with its partition columns', () => {
      const events = written.events.total;
      expect(seen(result(mode, 'events'))).toEqual({ rows: events.rows, checksum: events.checksum });
      const names = result(mode, 'events').schema?.map((column) => column.name);
      expect(names).toEqual(expect.arrayContaining(['dt', 'region', 'id', 'name', 'amount', 'at']));
    });

    it('partition filters return the rows of their partitions', () => {
      written.events.total.filters.slice(0, 2).forEach((expected, i) => {
        const filter = [DAY_2, EU][i]!;
        expect(expected.rows).toBeGreaterThan(0);
        expect(seen(result(mode, 'events', filter))).toEqual(expected);
      });
    });

    it('reads hyparquet-writer files, and finds a value above their truncated max statistic', () => {
      const hyparquet = written.hyparquet.total;
      expect(seen(result(mode, 'hyparquet'))).toEqual({ rows: hyparquet.rows, checksum: hyparquet.checksum });
      expect(hyparquet.filters[0]!.rows).toBe(3);
      expect(seen(result(mode, 'hyparquet', LONGEST_NAME))).toEqual(hyparquet.filters[0]);
    });
  });

  // DuckDB 1.4.4 reads missing metrics as zero counts: astha writes the metrics of an identity
  // partition column the files lack (constant per file), so it finds the null partition too.
  it.each(['pyiceberg', 'duckdb'])(
    '%s returns the rows of the null (__HIVE_DEFAULT_PARTITION__) partition',
    (mode) => {
      const expected = written.events.total.filters[2]!;
      expect(expected.rows).toBeGreaterThan(0);
      expect(seen(result(mode, 'events', NO_REGION))).toEqual(expected);
    },
  );

  it.each(['types', 'zoned', 'events', 'hyparquet', 'places', 'evolving'])(
    'every column metric of %s bounds what its data files hold',
    (table) => {
      const checked = result('metrics', table);
      expect(checked.error).toBeUndefined();
      expect(checked.violations).toEqual([]);
      expect(checked.checks).toBeGreaterThan(checked.files_checked ?? 0);
    },
  );

  it('rejected files are left out of the table, each with a reason', () => {
    expect(written.mixed.rejected).toHaveLength(2);
    for (const reason of written.mixed.rejected) expect(reason.length).toBeGreaterThan(10);
    expect(result('pyiceberg', 'mixed').planned_files).toBe(2);
  });

  it('PyIceberg plans only the files of an escaped partition value', () => {
    expect(result('pyiceberg', 'places', SAO_PAULO).planned_files).toBe(2);
    expect(result('pyiceberg', 'places', YEAR_2024).planned_files).toBe(3);
    const types = Object.fromEntries(
      (result('pyiceberg', 'places').schema ?? []).map((c) => [c.name, c.type]),
    );
    expect(types).toMatchObject({ year: 'long', city: 'string' });
    const ids = Object.fromEntries((result('pyiceberg', 'ids').schema ?? []).map((c) => [c.name, c.type]));
    expect(ids).toMatchObject({ uid: 'uuid', code: 'fixed[4]' });
  });

  it('PyIceberg reports the Iceberg types astha mapped from pyarrow’s', () => {
    const types = Object.fromEntries(
      (result('pyiceberg', 'types').schema ?? []).map((c) => [c.name, c.type]),
    );
    expect(types).toMatchObject({
      id: 'long',
      i8: 'int',
      i16: 'int',
      i32: 'int',
      i64: 'long',
      f32: 'float',
      f64: 'double',
      dec9: 'decimal(9, 2)',
      dec18: 'decimal(18, 4)',
      dec38: 'decimal(38, 10)',
      day: 'date',
      ts_ms: 'timestamp',
      ts_us: 'timestamp',
      tstz_ms: 'timestamptz',
      tstz_us: 'timestamptz',
      name: 'string',
      payload: 'binary',
      flag: 'boolean',
      tags: 'list<string>',
      attrs: 'map<string, int>',
    });
    expect(types.point).toMatch(/^struct<.*x: optional double.*label: optional string.*>$/);
  });

  it('DuckDB reads a zone other than UTC as the instants pyarrow wrote', () => {
    const zoned = written.zoned.total;
    expect(seen(result('duckdb', 'zoned'))).toEqual({ rows: zoned.rows, checksum: zoned.checksum });
  });

  it('PyIceberg prunes partitions: a partition filter plans only its files', () => {
    const perFilter = (i: number) => written.events.files.filter((file) => file.filters[i]!.rows > 0).length;
    expect(result('pyiceberg', 'events').planned_files).toBe(written.events.files.length);
    expect(result('pyiceberg', 'events', DAY_2).planned_files).toBe(perFilter(0));
    expect(result('pyiceberg', 'events', EU).planned_files).toBe(perFilter(1));
    expect(result('pyiceberg', 'events', NO_REGION).planned_files).toBe(perFilter(2));
    expect(perFilter(0)).toBeLessThan(written.events.files.length);
  });

  it('data file paths in the scan plan are the landed objects', () => {
    const planned = result('pyiceberg', 'events', DAY_2).planned_paths ?? [];
    const landed = written.events.files
      .filter((file) => file.filters[0]!.rows > 0)
      .map((file) => `${warehouse.store.url.replace(/\/+$/, '')}/${file.path}`);
    expect(planned).toEqual(landed.sort());
    expect(addSummaries(written.events.files).checksum).toBe(written.events.total.checksum);
  });
});
