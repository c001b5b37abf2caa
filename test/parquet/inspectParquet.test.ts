import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { fromSingleValue } from '../../lib/iceberg/spec/singleValue.js';
import { indexFieldsById, isPrimitive, type Schema } from '../../lib/iceberg/spec/types.js';
import { inspectParquet } from '../../lib/parquet/inspectParquet.js';
import { ParquetError } from '../../lib/parquet/parquetError.js';
import { CountingStore } from './countingStore.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'parquet');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

interface ExpectedColumn {
  path: string[];
  icebergType: string;
  size: number;
  valueCount?: number;
  nullCount?: number;
  lower?: string;
  upper?: string;
}
interface Expected {
  file: string;
  fileSize: number;
  recordCount: number;
  rowGroups: number;
  createdBy: string;
  columns: ExpectedColumn[];
}

const hex = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString('hex');

async function inspectFixture(name: string) {
  const bytes = fixture(name);
  const store = new CountingStore({ [`data/${name}`]: bytes });
  const inspection = await inspectParquet(store, `data/${name}`, bytes.length);
  return { inspection, store, bytes };
}

describe('inspectParquet on pyarrow fixtures', () => {
  const cases = [
    'all_types',
    'decimal_int',
    'int96',
    'nested',
    'nested_field_ids',
    'more_types',
    'partial_stats',
  ];

  it.each(cases)('%s: schema types, counts, sizes and bounds equal what pyarrow reports', async (name) => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, `${name}.expected.json`), 'utf8')) as Expected;
    const { inspection, store } = await inspectFixture(`${name}.parquet`);

    expect(inspection.recordCount).toBe(expected.recordCount);
    expect(inspection.fileSize).toBe(expected.fileSize);
    expect(inspection.createdBy).toBe(expected.createdBy);
    expect(inspection.splitOffsets).toHaveLength(expected.rowGroups);
    expect([...inspection.splitOffsets].sort((a, b) => a - b)).toEqual(inspection.splitOffsets);
    expect(inspection.splitOffsets[0]).toBe(4); // the first row group starts right after "PAR1"

    const fields = indexFieldsById(inspection.schema);
    const actual = inspection.columns.map((column) => ({
      path: column.path,
      icebergType: fields.get(column.fieldId)?.type,
      size: column.size,
      ...(column.valueCount === undefined ? {} : { valueCount: column.valueCount }),
      ...(column.nullCount === undefined ? {} : { nullCount: column.nullCount }),
      ...(column.lower === undefined ? {} : { lower: hex(column.lower) }),
      ...(column.upper === undefined ? {} : { upper: hex(column.upper) }),
    }));
    expect(actual).toEqual(expected.columns);

    // A small file: one ranged read, no HEAD since the size was given.
    expect(store.reads.gets).toHaveLength(1);
    expect(store.reads.heads).toHaveLength(0);
  });

  it('all_types: every field optional, ids 1..n in order, no field ids in the file', async () => {
    const { inspection } = await inspectFixture('all_types.parquet');
    expect(inspection.hasFieldIds).toBe(false);
    expect(inspection.schema['schema-id']).toBe(0);
    expect(inspection.schema.fields.map((f) => f.id)).toEqual(inspection.schema.fields.map((_, i) => i + 1));
    expect(inspection.schema.fields.every((f) => !f.required)).toBe(true);
  });

  it('all_types: decoded bounds are the values that were written', async () => {
    const { inspection } = await inspectFixture('all_types.parquet');
    const byName = new Map(inspection.columns.map((c) => [c.path.join('.'), c]));
    const fields = new Map(inspection.schema.fields.map((f) => [f.name, f]));
    const bounds = (name: string) => {
      const column = byName.get(name)!;
      const type = fields.get(name)!.type;
      if (!isPrimitive(type)) throw new Error(`${name} is not primitive`);
      return [
        column.lower && fromSingleValue(type, column.lower),
        column.upper && fromSingleValue(type, column.upper),
      ];
    };
    const n = 40;
    // Rows with i % 3 == 1 are null.
    expect(bounds('i32')).toEqual([-50_000_000, 39 * 1_000_003 - 50_000_000]);
    expect(bounds('u32')).toEqual([4_000_000_000n, 4_000_000_039n]);
    expect(bounds('i64')).toEqual([-(5n * 10n ** 13n), 39n * 10n ** 12n - 5n * 10n ** 13n]);
    expect(bounds('date')).toEqual([18262, 18262 + 39 * 7]); // 2020-01-01 = day 18262
    // 2024-01-01T12:00 = 1704110400 s; ts_ms rows step 1234 ms: millis bounds scaled to micros.
    expect(bounds('ts_ms')).toEqual([1704110400_000_000n, 1704110400_000_000n + 39n * 1_234_000n]);
    expect(bounds('tstz_ns')).toEqual([
      1704110400_000_000_000n - 39n * 86_400n * 10n ** 9n,
      1704110400n * 10n ** 9n,
    ]);
    expect(bounds('time_ms')).toEqual([(3723n * 1000n + 0n) * 1000n, (3723n * 1000n + 39n) * 1000n]);
    expect(bounds('dec_9_2')).toEqual([-5000n, 39n * 137n - 5000n]);
    expect(bounds('dec_38_10')).toEqual([-(10n ** 27n + 36n), 10n ** 27n + 39n]);
    expect(bounds('str')).toEqual(['Zebra', '日本']);
    // pyarrow leaves NaN out of min/max, and Iceberg bounds never include NaN (nan count unknown).
    expect(bounds('f64_nan')).toEqual([-0, 39]);
    expect(bounds('uuid')).toEqual([undefined, undefined]);
    expect(bounds('all_null')).toEqual([undefined, undefined]);
    expect(byName.get('all_null')).toMatchObject({ valueCount: n, nullCount: n });
    // str_max: upper bound of 20 × U+10FFFF cannot be incremented within 16 code points.
    expect(bounds('str_max')).toEqual(['a', undefined]);
    const [lower, upper] = bounds('str_long') as [string, string];
    expect(Array.from(lower)).toHaveLength(16);
    expect(upper > 'row 0039').toBe(true);
  });

  it('nested: lists, maps and structs with pre-order ids when the file has none', async () => {
    const { inspection } = await inspectFixture('nested.parquet');
    expect(inspection.hasFieldIds).toBe(false);
    expect(inspection.schema).toEqual<Schema>({
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'id', required: false, type: 'long' },
        {
          id: 2,
          name: 'tags',
          required: false,
          type: { type: 'list', 'element-id': 3, element: 'string', 'element-required': false },
        },
        {
          id: 4,
          name: 'attrs',
          required: false,
          type: {
            type: 'map',
            'key-id': 5,
            key: 'string',
            'value-id': 6,
            value: 'int',
            'value-required': false,
          },
        },
        {
          id: 7,
          name: 'point',
          required: false,
          type: {
            type: 'struct',
            fields: [
              { id: 8, name: 'x', required: false, type: 'double' },
              { id: 9, name: 'y', required: false, type: 'double' },
              { id: 10, name: 'label', required: false, type: 'string' },
            ],
          },
        },
        {
          id: 11,
          name: 'points',
          required: false,
          type: {
            type: 'list',
            'element-id': 12,
            element: { type: 'struct', fields: [{ id: 13, name: 'w', required: false, type: 'int' }] },
            'element-required': false,
          },
        },
      ],
    });
    expect(inspection.columns.map((c) => c.fieldId)).toEqual([1, 3, 5, 6, 8, 9, 10, 13]);
  });

  it('nested_field_ids: the Parquet field ids become the Iceberg ids', async () => {
    const { inspection } = await inspectFixture('nested_field_ids.parquet');
    expect(inspection.hasFieldIds).toBe(true);
    const tags = inspection.schema.fields[1]!;
    expect(tags).toMatchObject({ id: 3, name: 'tags', type: { type: 'list', 'element-id': 2 } });
    const attrs = inspection.schema.fields[2]!;
    expect(attrs).toMatchObject({ id: 6, type: { type: 'map', 'key-id': 4, 'value-id': 5 } });
    expect(inspection.columns.map((c) => c.fieldId)).toEqual([1, 2, 4, 5, 7, 8, 9, 11]);
  });

  it('int96: legacy timestamps map to timestamp without bounds', async () => {
    const { inspection } = await inspectFixture('int96.parquet');
    expect(inspection.schema.fields.map((f) => f.type)).toEqual(['timestamp', 'timestamp']);
    expect(inspection.columns.every((c) => c.lower === undefined && c.upper === undefined)).toBe(true);
  });
});

describe('inspectParquet on invalid files', () => {
  const invalid: Array<[string, string, RegExp]> = [
    ['empty.parquet', 'empty_file', /empty file: 0 bytes/],
    ['truncated.parquet', 'truncated', /truncated: starts with "PAR1" but the trailing magic is "/],
    ['wrong_magic.parquet', 'not_parquet', /not a Parquet file: trailing magic is "ABCD", expected "PAR1"/],
    [
      'footer_past_end.parquet',
      'footer_out_of_range',
      /footer length 11600 is past the file: the file has 1160 bytes/,
    ],
    ['corrupt_footer.parquet', 'corrupt_footer', /corrupt Parquet footer/],
    ['uint64.parquet', 'unsupported_type', /column "big": UINT_64 has no lossless Iceberg type/],
    ['time_ns.parquet', 'unsupported_type', /column "t": TIME\(NANOS\) has no lossless Iceberg type/],
    ['float16.parquet', 'unsupported_type', /column "h": FLOAT16 has no Iceberg type/],
    [
      'null_column.parquet',
      'unsupported_type',
      /column "nothing": UNKNOWN \(an always-null column\) has no Iceberg type/,
    ],
  ];

  it.each(invalid)('%s → %s', async (name, code, message) => {
    const error = await inspectFixture(name).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ParquetError);
    expect(error).toMatchObject({ code, retryable: false });
    expect((error as Error).message).toMatch(message);
  });

  it('a file shorter than the magic is not Parquet; "PAR1PAR1" is a truncated one', async () => {
    const store = new CountingStore({ a: Uint8Array.of(1, 2), b: new TextEncoder().encode('PAR1PAR1') });
    await expect(inspectParquet(store, 'a', 2)).rejects.toMatchObject({ code: 'not_parquet' });
    await expect(inspectParquet(store, 'b', 8)).rejects.toMatchObject({ code: 'truncated' });
  });

  it('a stated size larger than the object is reported, not misread', async () => {
    const bytes = fixture('decimal_int.parquet');
    const store = new CountingStore({ f: bytes });
    await expect(inspectParquet(store, 'f', bytes.length + 100)).rejects.toMatchObject({
      code: 'truncated',
      message: expect.stringContaining(`shorter than its stated ${bytes.length + 100} bytes`),
    });
  });

  it('store errors pass through unchanged (a missing key is not a Parquet problem)', async () => {
    const store = new CountingStore();
    await expect(inspectParquet(store, 'missing.parquet')).rejects.toMatchObject({ code: 'not_found' });
    await expect(inspectParquet(store, 'missing.parquet', 100)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('inspectParquet reads only the footer', () => {
  it('a multi-megabyte file costs one ranged read of at most 64 KiB and one of the leading magic', async () => {
    const rows = 300_000;
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'n', data: Array.from({ length: rows }, (_, i) => BigInt(i) * 7919n), type: 'INT64' },
          { name: 's', data: Array.from({ length: rows }, (_, i) => `value ${i * 31}`), type: 'STRING' },
        ],
        rowGroupSize: 50_000,
        codec: 'UNCOMPRESSED',
      }),
    );
    expect(bytes.length).toBeGreaterThan(4_000_000);
    const store = new CountingStore({ 'big.parquet': bytes });
    const inspection = await inspectParquet(store, 'big.parquet');
    expect(inspection.recordCount).toBe(rows);
    expect(inspection.splitOffsets).toHaveLength(6);
    expect(store.reads.heads).toEqual(['big.parquet']);
    expect(store.reads.gets).toEqual([
      { key: 'big.parquet', start: bytes.length - 65536, end: bytes.length },
      { key: 'big.parquet', start: 0, end: 4 },
    ]);
    expect(store.bytesRead * 50).toBeLessThan(bytes.length);
    const n = inspection.columns[0]!;
    expect([fromSingleValue('long', n.lower!), fromSingleValue('long', n.upper!)]).toEqual([
      0n,
      299_999n * 7919n,
    ]);
    expect(n).toMatchObject({ valueCount: rows, nullCount: 0 });
  });

  it('a footer larger than 64 KiB costs exactly one more read, of just the rest of the footer', async () => {
    const columns = 1200;
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: Array.from({ length: columns }, (_, c) => ({
          name: `column_with_a_long_name_${c}`,
          data: [c, c + 1, null],
          type: 'INT32' as const,
        })),
      }),
    );
    const footerLength = Buffer.from(bytes).readUInt32LE(bytes.length - 8);
    expect(footerLength).toBeGreaterThan(65536);
    const store = new CountingStore({ 'wide.parquet': bytes });
    const inspection = await inspectParquet(store, 'wide.parquet', bytes.length);
    expect(inspection.columns).toHaveLength(columns);
    expect(inspection.columns[1199]).toMatchObject({ fieldId: 1200, valueCount: 3, nullCount: 1 });
    expect(fromSingleValue('int', inspection.columns[1199]!.upper!)).toBe(1200);
    expect(store.reads.gets).toEqual([
      { key: 'wide.parquet', start: bytes.length - 65536, end: bytes.length },
      { key: 'wide.parquet', start: 0, end: 4 },
      { key: 'wide.parquet', start: bytes.length - 8 - footerLength, end: bytes.length - 65536 },
    ]);
  });
});

describe('inspectParquet on hyparquet-writer files', () => {
  it('maps its types and reports bounds of the written values', async () => {
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'name', data: ['Alice', null, 'Bob', 'Ωmega', 'a'.repeat(30)], type: 'STRING' },
          { name: 'age', data: [25, 30, null, 35, -1], type: 'INT32' },
          { name: 'big', data: [1n, -(2n ** 62n), 3n, null, 5n], type: 'INT64' },
          { name: 'score', data: [1.5, -0.25, null, 3, 2], type: 'DOUBLE' },
          { name: 'ok', data: [true, false, null, true, true], type: 'BOOLEAN' },
          {
            name: 'at',
            data: [new Date(1000), new Date(-5000), null, new Date(1e12), new Date(0)],
            type: 'TIMESTAMP',
          },
          { name: 'doc', data: [{ a: 1 }, null, [1], 'x', 2], type: 'JSON' },
          {
            name: 'blob',
            data: [Uint8Array.of(3), Uint8Array.of(0, 255), null, Uint8Array.of(9), Uint8Array.of()],
            type: 'BYTE_ARRAY',
          },
        ],
      }),
    );
    const store = new CountingStore({ 'h.parquet': bytes });
    const inspection = await inspectParquet(store, 'h.parquet', bytes.length);
    expect(inspection.createdBy).toBe('hyparquet');
    expect(inspection.schema.fields.map((f) => [f.id, f.name, f.type])).toEqual([
      [1, 'name', 'string'],
      [2, 'age', 'int'],
      [3, 'big', 'long'],
      [4, 'score', 'double'],
      [5, 'ok', 'boolean'],
      [6, 'at', 'timestamptz'],
      [7, 'doc', 'string'],
      [8, 'blob', 'binary'],
    ]);
    const decoded = inspection.columns.map((column) => {
      const type = inspection.schema.fields[column.fieldId - 1]!.type;
      if (!isPrimitive(type)) throw new Error('nested');
      return [
        column.nullCount,
        column.lower && fromSingleValue(type, column.lower),
        column.upper && fromSingleValue(type, column.upper),
      ];
    });
    expect(decoded).toEqual([
      // hyparquet-writer truncates string stats to 16 bytes itself; max_value "aaaa…" (30) ≥ truncated
      [1, 'Alice', 'Ωmega'],
      [1, -1, 35],
      [1, -(2n ** 62n), 5n],
      [1, -0.25, 3],
      [1, false, true],
      [1, -5_000_000n, 1_000_000_000_000_000n],
      [1, expect.any(String), expect.any(String)],
      [1, Uint8Array.of(), Uint8Array.of(9)],
    ]);
  });
});
