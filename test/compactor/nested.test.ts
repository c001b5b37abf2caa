/**
 * Compaction of tables with nested columns (structs, lists, maps), read by PyIceberg and DuckDB:
 * pyarrow files in the compliant and the legacy list shape, files of older nested schemas
 * (a struct field, a list element's field and a map value they lack; widened and converted
 * leaves inside), and a retraction through a nested output. The outputs are checked for the
 * Parquet shape Iceberg writes (3-level LIST, MAP key_value, field ids on every node).
 */
import { readFileSync } from 'node:fs';
import { type FileMetaData, parquetMetadataAsync, parquetSchema } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uncompactableColumn } from '../../lib/compactor/columnConversion.js';
import { columnReader } from '../../lib/compactor/columnReader.js';
import { compactionPlan } from '../../lib/compactor/compactionPlan.js';
import { compactTable } from '../../lib/compactor/compactTable.js';
import { IcebergError } from '../../lib/iceberg/icebergError.js';
import type { Schema } from '../../lib/iceberg/spec/types.js';
import { storeAsyncBuffer } from '../../lib/parquet/storeAsyncBuffer.js';
import { addSummaries, type FileSpec, type Summary } from '../conformance/readers.js';
import { type CompactionLake, expectReads, openCompactionLake, summaryOf } from './compactionLake.js';

function typesFiles(table: string, flavor: FileSpec['flavor'], region: string, count: number, seed: number) {
  return Array.from(
    { length: count },
    (_, i): FileSpec => ({
      dir: `ns/${table}/data`,
      name: `f${seed + i}.parquet`,
      partition: [['region', 'string', region]],
      // Every zone UTC: PyIceberg cannot read pyarrow's Europe/Paris column of `types`.
      profile: 'types_utc',
      flavor,
      rows: 30 + i * 9,
      seed: seed + i,
      row_group_size: 16,
    }),
  );
}

/** The committed compaction outputs' footers. */
async function outputFooters(lake: CompactionLake, table: string): Promise<FileMetaData[]> {
  const outputs = await lake.registry.client.execute({
    sql: `SELECT f.path, f.size FROM table_files f JOIN tables t ON t.id = f.table_id
          WHERE t.name = ? AND f.astha_written = 1 AND f.iceberg_state = 'committed'`,
    args: [table],
  });
  return Promise.all(
    outputs.rows.map((r) =>
      parquetMetadataAsync(storeAsyncBuffer(lake.store, String(r.path), Number(r.size))),
    ),
  );
}

/** `name [repetition] annotation #id` per schema element, children indented: the shape at a glance. */
function shape(metadata: FileMetaData, top: string): string[] {
  const lines: string[] = [];
  let i = 1;
  const visit = (depth: number) => {
    const e = metadata.schema[i++]!;
    const annotation = e.logical_type?.type ?? e.converted_type ?? e.type ?? '';
    lines.push(`${'  '.repeat(depth)}${e.name} ${e.repetition_type} ${annotation} #${e.field_id ?? '-'}`);
    for (let c = 0; c < (e.num_children ?? 0); c++) visit(depth + 1);
  };
  while (i < metadata.schema.length) {
    const start = lines.length;
    visit(0);
    if (!lines[start]!.startsWith(`${top} `)) lines.splice(start);
  }
  return lines;
}

describe('compaction of nested columns, read by PyIceberg and DuckDB', () => {
  let lake: CompactionLake;
  beforeAll(async () => {
    lake = await openCompactionLake();
  });
  afterAll(() => lake?.close());

  for (const flavor of ['default', 'legacy'] as const) {
    const table = `types_${flavor}`;
    it(`${flavor} lists: same rows before and after, fewer files, old snapshot still readable`, async () => {
      const written = await lake.landFiles([
        ...typesFiles(table, flavor, 'a', 6, 100),
        ...typesFiles(table, flavor, 'b', 2, 200),
      ]);
      expectReads(await lake.read('ns', table), written);
      const row = await lake.registry.tableByName('ns', table);
      const preSnapshot = (await lake.iceberg('ns', table))!.metadata.currentSnapshotId!.toString();
      const deps = { registry: lake.registry, store: lake.store };
      const plan = await compactionPlan(row!.id, deps);
      expect(plan.skipped).toBeUndefined();
      expect(plan.groups.map((g) => [g.partitionPath, g.files.length])).toEqual([['region=a', 6]]);

      const report = await compactTable(row!.id, deps);

      expect(report.skipped).toBeUndefined();
      expect(report.groups).toMatchObject([{ partitionPath: 'region=a', inputFiles: 6, outputFiles: 1 }]);
      expect(report.groups[0]!.snapshotId).toBeDefined();
      const after = await lake.read('ns', table);
      expectReads(after, written);
      expect(after[0]!.planned_files).toBe(3);
      const [old] = await lake.readSnapshots(await lake.metadataLocation('ns', table), [preSnapshot]);
      expect(summaryOf(old!)).toEqual(written);

      // The output has Iceberg's shapes and the table's ids on every field.
      const ids = idsByPath((await lake.iceberg('ns', table))!.metadata);
      const [footer] = await outputFooters(lake, table);
      expect(shape(footer!, 'tags')).toEqual([
        `tags OPTIONAL LIST #${ids.get('tags')}`,
        '  list REPEATED  #-',
        `    element OPTIONAL STRING #${ids.get('tags.element')}`,
      ]);
      expect(shape(footer!, 'point')).toEqual([
        `point OPTIONAL  #${ids.get('point')}`,
        `  x OPTIONAL DOUBLE #${ids.get('point.x')}`,
        `  label OPTIONAL STRING #${ids.get('point.label')}`,
      ]);
      expect(shape(footer!, 'attrs')).toEqual([
        `attrs OPTIONAL MAP #${ids.get('attrs')}`,
        '  key_value REPEATED  #-',
        `    key REQUIRED STRING #${ids.get('attrs.key')}`,
        `    value OPTIONAL INT32 #${ids.get('attrs.value')}`,
      ]);
    }, 90_000);
  }

  it('a list of one-field structs (the fixture nested.parquet): readers see the same rows', async () => {
    const fixture = new Uint8Array(readFileSync('test/fixtures/parquet/nested.parquet'));
    for (let i = 0; i < 5; i++) {
      expect((await lake.land(`ns/fixture/data/f${i}.parquet`, fixture)).status).toBe('registered');
    }
    await lake.deliver(lake.updater);
    const before = await lake.read('ns', 'fixture');
    const baseline = summaryOf(before[0]!) as Summary;
    expect(baseline).toMatchObject({ rows: 200 });
    expectReads(before, baseline);
    const row = await lake.registry.tableByName('ns', 'fixture');
    const report = await compactTable(row!.id, { registry: lake.registry, store: lake.store });
    expect(report.groups).toMatchObject([{ inputFiles: 5, outputFiles: 1 }]);
    expectReads(await lake.read('ns', 'fixture'), baseline);
  }, 90_000);

  it('older nested schemas: missing struct fields read as null, leaves converted inside', async () => {
    // Three files of each schema, each landed on its own so the table evolves between them.
    for (let i = 0; i < 6; i++) {
      const outcome = await lake.land(`ns/evolved/data/f${i}.parquet`, evolvingFile(i * 100, 11 + i, i >= 3));
      expect(outcome.status).toBe('registered');
      await lake.deliver(lake.updater);
    }
    // PyIceberg reads the originals; DuckDB cannot resolve the legacy 2-level list (`array`) by
    // the table's name mapping, so the baseline is PyIceberg's, and both readers must agree after.
    const before = await lake.read('ns', 'evolved');
    const baseline = summaryOf(before[0]!) as Summary;
    expect(baseline).toMatchObject({ rows: 81 });
    const schema = (await lake.iceberg('ns', 'evolved'))!.metadata;
    const ids = idsByPath(schema);
    for (const path of ['info.extra', 'items.element.tag', 'props.value.note'])
      expect(ids.has(path)).toBe(true);

    const row = await lake.registry.tableByName('ns', 'evolved');
    const report = await compactTable(row!.id, { registry: lake.registry, store: lake.store });
    expect(report.groups).toMatchObject([{ inputFiles: 6, outputFiles: 1 }]);
    expect(report.groups[0]!.refused).toBeUndefined();
    expectReads(await lake.read('ns', 'evolved'), baseline);
    const [footer] = await outputFooters(lake, 'evolved');
    expect(shape(footer!, 'info')).toEqual([
      `info OPTIONAL  #${ids.get('info')}`,
      `  a OPTIONAL INT64 #${ids.get('info.a')}`,
      `  when OPTIONAL TIMESTAMP #${ids.get('info.when')}`,
      `  extra OPTIONAL STRING #${ids.get('info.extra')}`,
    ]);
  }, 90_000);

  it('a compacted nested file the user deletes leaves the table', async () => {
    const specs = typesFiles('gone', 'legacy', 'a', 5, 300);
    const written = await lake.writeOnly(specs);
    for (const file of written.files) {
      const outcome = await lake.land(file.path, new Uint8Array(readFileSync(file.absolute)));
      expect(outcome.status).toBe('registered');
    }
    await lake.deliver(lake.updater);
    const row = await lake.registry.tableByName('ns', 'gone');
    const deps = { registry: lake.registry, store: lake.store };
    expect((await compactTable(row!.id, deps)).groups).toMatchObject([{ inputFiles: 5, outputFiles: 1 }]);
    expectReads(await lake.read('ns', 'gone'), addSummaries(written.files));

    const [victim, ...kept] = [written.files[2]!, ...written.files.filter((_, i) => i !== 2)];
    await lake.store.delete(victim.path);
    const removal = await lake.registry.unregisterObject({ bucket: 'local', key: victim.path }, lake.store);
    expect(removal).toMatchObject({ status: 'retracted' });
    const retraction = await compactTable(row!.id, deps);
    expect(retraction.groups).toMatchObject([{ inputFiles: 1, outputFiles: 1, rowsRetracted: victim.rows }]);
    expectReads(await lake.read('ns', 'gone'), addSummaries(kept));
  }, 90_000);
});

describe('what compaction refuses, with a reason instead of a crash', () => {
  it('a table column without a Parquet shape skips the table; nested ones do not', () => {
    const schema = (fields: Schema['fields']): Schema => ({ type: 'struct', 'schema-id': 0, fields });
    const point = {
      type: 'struct' as const,
      fields: [{ id: 3, name: 'x', required: false, type: 'double' as const }],
    };
    const list = { type: 'list' as const, 'element-id': 4, element: point, 'element-required': false };
    expect(uncompactableColumn(schema([{ id: 1, name: 'p', required: false, type: list }]))).toBeUndefined();
    const empty = { type: 'struct' as const, fields: [] };
    expect(uncompactableColumn(schema([{ id: 1, name: 'e', required: false, type: empty }]))).toBe(
      'column e: a struct without fields has no Parquet shape',
    );
  });

  it('an input whose shape does not fit the table type is refused as unsupported', () => {
    const tree = parquetSchema({
      schema: [
        { name: 'schema', num_children: 1 },
        { name: 'p', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
      ],
    });
    const struct = {
      type: 'struct' as const,
      fields: [{ id: 3, name: 'x', required: false, type: 'double' as const }],
    };
    expect(() => columnReader(tree.children[0]!, struct, 'p')).toThrow(IcebergError);
    expect(() => columnReader(tree.children[0]!, struct, 'p')).toThrow(
      'column p: expected a struct group in the file, found a DOUBLE column',
    );
  });

  it('a null map key leaves the group as it is, refused with the reason', async () => {
    const lake = await openCompactionLake();
    try {
      const schema: Element[] = [
        { name: 'schema', num_children: 2 },
        { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
        { name: 'm', repetition_type: 'OPTIONAL', converted_type: 'MAP', num_children: 1 },
        { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
        { name: 'key', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8' },
        { name: 'value', type: 'INT32', repetition_type: 'OPTIONAL' },
      ];
      for (let i = 0; i < 5; i++) {
        const m = [{ key: i === 3 ? null : 'k', value: i }];
        const bytes = parquetWriteBuffer({
          schema,
          columnData: [
            { name: 'id', data: [BigInt(i)] },
            { name: 'm', data: [m] },
          ],
        });
        expect((await lake.land(`ns/keys/data/f${i}.parquet`, new Uint8Array(bytes))).status).toBe(
          'registered',
        );
      }
      await lake.deliver(lake.updater);
      const row = await lake.registry.tableByName('ns', 'keys');
      const version = (await lake.iceberg('ns', 'keys'))!.version;
      const report = await compactTable(row!.id, { registry: lake.registry, store: lake.store });
      expect(report.groups).toMatchObject([
        {
          inputFiles: 5,
          outputFiles: 0,
          refused: 'unsupported',
          reason: 'column m.key: the file holds a null map key',
        },
      ]);
      expect((await lake.iceberg('ns', 'keys'))!.version).toBe(version);
    } finally {
      lake.close();
    }
  }, 60_000);
});

/** Iceberg field ids by dotted path (`tags.element`, `attrs.key`, `point.x`) of the current schema. */
function idsByPath(metadata: {
  schemas: { 'schema-id': number; fields: unknown[] }[];
  currentSchemaId: number;
}): Map<string, number> {
  const ids = new Map<string, number>();
  type Type = string | { type: string; fields?: Field[]; [k: string]: unknown };
  type Field = { id: number; name: string; type: Type };
  const visit = (prefix: string, type: Type) => {
    if (typeof type === 'string') return;
    if (type.type === 'struct') {
      for (const f of type.fields!) {
        ids.set(`${prefix}${f.name}`, f.id);
        visit(`${prefix}${f.name}.`, f.type);
      }
    } else if (type.type === 'list') {
      ids.set(`${prefix}element`, type['element-id'] as number);
      visit(`${prefix}element.`, type.element as Type);
    } else {
      ids.set(`${prefix}key`, type['key-id'] as number);
      ids.set(`${prefix}value`, type['value-id'] as number);
      visit(`${prefix}key.`, type.key as Type);
      visit(`${prefix}value.`, type.value as Type);
    }
  };
  const schema = metadata.schemas.find((s) => s['schema-id'] === metadata.currentSchemaId)!;
  visit('', { type: 'struct', fields: schema.fields as Field[] });
  return ids;
}

type WriteOptions = Parameters<typeof parquetWriteBuffer>[0];
type Element = NonNullable<WriteOptions['schema']>[number];

/**
 * `rows` rows from `first`. Old files: `info struct<a int32, when timestamp(ms)>`, `items` as a
 * legacy 2-level list of `struct<n int32>` (repeated group `array`), `props map<string,
 * struct<amount decimal(9,2)>>`. New files widen `info.a` to int64 and add `info.extra`, a
 * 3-level `items` whose element gains `tag`, and `props` values gain `note`.
 */
function evolvingFile(first: number, rows: number, evolved: boolean): Uint8Array {
  const ids = Array.from({ length: rows }, (_, i) => first + i);
  const nth = (i: number, every: number) => i % every === every - 1;
  const elements: Element[] = [
    { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
    { name: 'info', repetition_type: 'OPTIONAL', num_children: evolved ? 3 : 2 },
    { name: 'a', type: evolved ? 'INT64' : 'INT32', repetition_type: 'OPTIONAL' },
    { name: 'when', type: 'INT64', repetition_type: 'OPTIONAL', converted_type: 'TIMESTAMP_MILLIS' },
    ...(evolved
      ? [{ name: 'extra', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8' } as const]
      : []),
    { name: 'items', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    ...(evolved
      ? ([
          { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
          { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
          { name: 'n', type: 'INT32', repetition_type: 'OPTIONAL' },
          { name: 'tag', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8' },
        ] as const)
      : ([
          { name: 'array', repetition_type: 'REPEATED', num_children: 1 },
          { name: 'n', type: 'INT32', repetition_type: 'OPTIONAL' },
        ] as const)),
    { name: 'props', repetition_type: 'OPTIONAL', converted_type: 'MAP', num_children: 1 },
    { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
    { name: 'key', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED', converted_type: 'UTF8' },
    { name: 'value', repetition_type: 'OPTIONAL', num_children: evolved ? 2 : 1 },
    {
      name: 'amount',
      type: 'INT32',
      repetition_type: 'OPTIONAL',
      converted_type: 'DECIMAL',
      scale: 2,
      precision: 9,
    },
    ...(evolved
      ? [{ name: 'note', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8' } as const]
      : []),
  ];
  const info = ids.map((id, i) => {
    if (nth(i, 7)) return null;
    const a = nth(i, 5) ? null : evolved ? BigInt(id) * 5_000_000_000n : -id;
    const when = nth(i, 4) ? null : BigInt(id) * 86_400_123n - 1_000_000_000_000n;
    return evolved ? { a, when, extra: nth(i, 3) ? null : `extra ${id} ✓` } : { a, when };
  });
  // No null list or map here: PyIceberg reads a null list of structs (or map to structs) as
  // empty, whoever wrote the file, so it would disagree with DuckDB; `types` covers null lists.
  const items = ids.map((id, i) => {
    const count = i % 4;
    // The writer walks a 2-level list's single field straight from the entry: give it `n`.
    return Array.from({ length: count }, (_, k) => {
      const n = k === 1 ? null : id * 10 + k;
      if (!evolved) return n;
      return k === 2 ? null : { n, tag: k === 0 ? null : `t${id}.${k}` };
    });
  });
  const props = ids.map((id, i) => {
    return Array.from({ length: i % 3 }, (_, k) => {
      const amount = k === 1 ? null : BigInt(id * 101 - 2500 + k);
      const value = nth(i, 4) ? null : evolved ? { amount, note: `n${k}` } : { amount };
      return { key: `k${k}`, value };
    });
  });
  const columnData: WriteOptions['columnData'] = [
    { name: 'id', data: ids.map(BigInt) },
    { name: 'info', data: info },
    { name: 'items', data: items },
    { name: 'props', data: props },
  ];
  const schema: Element[] = [{ name: 'schema', num_children: 4 }, ...elements];
  return new Uint8Array(parquetWriteBuffer({ columnData, schema, rowGroupSize: 5 }));
}
