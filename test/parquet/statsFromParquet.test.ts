import { describe, expect, it } from 'vitest';
import { fromSingleValue } from '../../lib/iceberg/spec/singleValue.js';
import type { PrimitiveType } from '../../lib/iceberg/spec/types.js';
import type { ColumnStatistics, ParquetFooter, SchemaElement } from '../../lib/parquet/parquetFooter.js';
import { schemaFromParquet } from '../../lib/parquet/schemaFromParquet.js';
import { statsFromParquet } from '../../lib/parquet/statsFromParquet.js';

const le32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
};
const le64 = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, v, true);
  return b;
};
const f32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return b;
};
const f64 = (v: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return b;
};
const utf8 = (s: string) => new TextEncoder().encode(s);

/** One leaf column `c` over row groups with the given statistics (10 values each). */
function statsOf(
  element: Omit<SchemaElement, 'name'>,
  chunks: Array<ColumnStatistics | undefined>,
  typeDefinedOrder?: boolean,
) {
  const schema: SchemaElement[] = [
    { name: 'schema', numChildren: 1 },
    { name: 'c', repetition: 'OPTIONAL', ...element },
  ];
  const footer: ParquetFooter = {
    schema,
    numRows: chunks.length * 10,
    rowGroups: chunks.map((statistics) => ({
      numRows: 10,
      columns: [
        {
          path: ['c'],
          codec: 'UNCOMPRESSED',
          numValues: 10,
          totalCompressedSize: 100,
          dataPageOffset: 4,
          ...(statistics ? { statistics } : {}),
        },
      ],
    })),
    ...(typeDefinedOrder === undefined ? {} : { typeDefinedOrder: [typeDefinedOrder] }),
    metadataLength: 0,
  };
  const { leaves } = schemaFromParquet(schema);
  const [column] = statsFromParquet(footer, leaves);
  const type = leaves[0]!.type as PrimitiveType;
  return {
    ...column!,
    min: column!.lower && fromSingleValue(type, column!.lower),
    max: column!.upper && fromSingleValue(type, column!.upper),
  };
}

describe('statsFromParquet', () => {
  it('sums sizes, values and nulls, and widens bounds over row groups', () => {
    const s = statsOf({ type: 'INT32' }, [
      { minValue: le32(5), maxValue: le32(9), nullCount: 1 },
      { minValue: le32(-3), maxValue: le32(7), nullCount: 2 },
    ]);
    expect(s).toMatchObject({ size: 200, valueCount: 20, nullCount: 3, min: -3, max: 9 });
  });

  it('has no null count when one chunk lacks it, and no bounds when one chunk with values lacks them', () => {
    const s = statsOf({ type: 'INT32' }, [{ minValue: le32(1), maxValue: le32(2), nullCount: 0 }, {}]);
    expect(s.nullCount).toBeUndefined();
    expect(s.lower).toBeUndefined();
    expect(s.upper).toBeUndefined();
    expect(
      statsOf({ type: 'INT32' }, [{ minValue: le32(1), maxValue: le32(2) }, undefined]).lower,
    ).toBeUndefined();
  });

  it('a chunk of only nulls does not hide the bounds of the others', () => {
    const s = statsOf({ type: 'INT64' }, [
      { nullCount: 10 },
      { minValue: le64(-1n), maxValue: le64(8n), nullCount: 0 },
    ]);
    expect(s).toMatchObject({ nullCount: 10, min: -1n, max: 8n });
  });

  it('trusts legacy min/max only for signed integers', () => {
    expect(statsOf({ type: 'INT32' }, [{ min: le32(-4), max: le32(4) }])).toMatchObject({ min: -4, max: 4 });
    expect(
      statsOf({ type: 'INT64', convertedType: 'TIMESTAMP_MICROS' }, [{ min: le64(1n), max: le64(2n) }]),
    ).toMatchObject({ min: 1n, max: 2n });
    // signed order is wrong for UINT_32, strings and floats: no bounds
    expect(
      statsOf({ type: 'INT32', convertedType: 'UINT_32' }, [{ min: le32(-1), max: le32(1) }]).lower,
    ).toBeUndefined();
    expect(
      statsOf({ type: 'BYTE_ARRAY', convertedType: 'UTF8' }, [{ min: utf8('a'), max: utf8('é') }]).lower,
    ).toBeUndefined();
    expect(statsOf({ type: 'DOUBLE' }, [{ min: f64(1), max: f64(2) }]).lower).toBeUndefined();
  });

  it('ignores min_value/max_value when column_orders says the order is undefined', () => {
    expect(
      statsOf({ type: 'INT32' }, [{ minValue: le32(1), maxValue: le32(2) }], false).lower,
    ).toBeUndefined();
    expect(statsOf({ type: 'INT32' }, [{ minValue: le32(1), maxValue: le32(2) }], true).min).toBe(1);
  });

  it('drops float bounds that contain NaN and widens signed zeros', () => {
    expect(
      statsOf({ type: 'DOUBLE' }, [{ minValue: f64(Number.NaN), maxValue: f64(3) }]).lower,
    ).toBeUndefined();
    expect(
      statsOf({ type: 'FLOAT' }, [{ minValue: f32(1), maxValue: f32(Number.NaN) }]).upper,
    ).toBeUndefined();
    const zeros = statsOf({ type: 'FLOAT' }, [{ minValue: f32(0), maxValue: f32(-0) }]);
    expect(Object.is(zeros.min, -0)).toBe(true);
    expect(Object.is(zeros.max, 0)).toBe(true);
  });

  it('scales millisecond times and timestamps to microseconds, dropping ones that overflow', () => {
    expect(
      statsOf({ type: 'INT32', convertedType: 'TIME_MILLIS' }, [
        { minValue: le32(1), maxValue: le32(86_399_999) },
      ]),
    ).toMatchObject({
      min: 1000n,
      max: 86_399_999_000n,
    });
    const millis = {
      type: 'INT64' as const,
      logicalType: { type: 'TIMESTAMP' as const, isAdjustedToUTC: false, unit: 'MILLIS' as const },
    };
    expect(statsOf(millis, [{ minValue: le64(-5n), maxValue: le64(7n) }])).toMatchObject({
      min: -5000n,
      max: 7000n,
    });
    expect(statsOf(millis, [{ minValue: le64(0n), maxValue: le64(2n ** 62n) }]).upper).toBeUndefined();
  });

  it('decimals of every physical type become minimal big-endian unscaled values', () => {
    const dec = (type: 'INT32' | 'INT64' | 'FIXED_LEN_BYTE_ARRAY' | 'BYTE_ARRAY', precision: number) => ({
      type,
      logicalType: { type: 'DECIMAL' as const, precision, scale: 2 },
      ...(type === 'FIXED_LEN_BYTE_ARRAY' ? { typeLength: 9 } : {}),
    });
    expect(statsOf(dec('INT32', 9), [{ minValue: le32(-12345), maxValue: le32(99) }])).toMatchObject({
      min: -12345n,
      max: 99n,
    });
    expect(
      statsOf(dec('INT64', 18), [{ minValue: le64(-(10n ** 17n)), maxValue: le64(10n ** 17n) }]),
    ).toMatchObject({
      min: -(10n ** 17n),
      max: 10n ** 17n,
    });
    const fixed = statsOf(dec('FIXED_LEN_BYTE_ARRAY', 20), [
      {
        minValue: Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x85),
        maxValue: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1, 0),
      },
    ]);
    expect(fixed).toMatchObject({ min: -123n, max: 256n });
    expect(Buffer.from(fixed.lower!).toString('hex')).toBe('85');
    expect(Buffer.from(fixed.upper!).toString('hex')).toBe('0100');
    expect(
      statsOf(dec('BYTE_ARRAY', 4), [{ minValue: Uint8Array.of(0x01), maxValue: Uint8Array.of(0x7f) }]),
    ).toMatchObject({
      min: 1n,
      max: 127n,
    });
    // A statistic wider than the declared precision means the stats are wrong: no bounds.
    expect(statsOf(dec('INT32', 2), [{ minValue: le32(1), maxValue: le32(12345) }]).lower).toBeUndefined();
  });

  it('truncates strings to 16 code points and binary to 16 bytes; drops invalid UTF-8', () => {
    const long = 'ñ'.repeat(20);
    const s = statsOf({ type: 'BYTE_ARRAY', convertedType: 'UTF8' }, [
      { minValue: utf8(long), maxValue: utf8(long) },
    ]);
    expect(s.min).toBe('ñ'.repeat(16));
    expect(s.max).toBe('ñ'.repeat(15) + 'ò');
    const b = statsOf({ type: 'BYTE_ARRAY' }, [
      { minValue: new Uint8Array(20).fill(1), maxValue: new Uint8Array(20).fill(0xff) },
    ]);
    expect(b.lower).toEqual(new Uint8Array(16).fill(1));
    expect(b.upper).toBeUndefined(); // all 0xFF: no upper bound exists within 16 bytes
    const bad = statsOf({ type: 'BYTE_ARRAY', convertedType: 'UTF8' }, [
      { minValue: Uint8Array.of(0xc3), maxValue: utf8('z') },
    ]);
    expect(bad.lower).toBeUndefined();
  });

  it('gives no bounds for INT96 and uuid, and none for values of the wrong width', () => {
    expect(
      statsOf({ type: 'INT96' }, [{ minValue: new Uint8Array(12), maxValue: new Uint8Array(12) }]).lower,
    ).toBeUndefined();
    const uuid = {
      type: 'FIXED_LEN_BYTE_ARRAY' as const,
      typeLength: 16,
      logicalType: { type: 'UUID' as const },
    };
    expect(
      statsOf(uuid, [{ minValue: new Uint8Array(16), maxValue: new Uint8Array(16).fill(1) }]).lower,
    ).toBeUndefined();
    expect(
      statsOf({ type: 'INT32' }, [{ minValue: Uint8Array.of(1), maxValue: le32(1) }]).lower,
    ).toBeUndefined();
    expect(
      statsOf({ type: 'FIXED_LEN_BYTE_ARRAY', typeLength: 2 }, [
        { minValue: Uint8Array.of(1), maxValue: Uint8Array.of(1, 2) },
      ]).lower,
    ).toBeUndefined();
  });

  it('rejects a footer whose row groups do not match the schema', () => {
    const schema: SchemaElement[] = [
      { name: 'schema', numChildren: 1 },
      { name: 'c', type: 'INT32' },
    ];
    const footer: ParquetFooter = {
      schema,
      numRows: 1,
      rowGroups: [
        {
          numRows: 1,
          columns: [
            { path: ['d'], codec: 'UNCOMPRESSED', numValues: 1, totalCompressedSize: 1, dataPageOffset: 4 },
          ],
        },
      ],
      metadataLength: 0,
    };
    expect(() => statsFromParquet(footer, schemaFromParquet(schema).leaves)).toThrow(
      /column chunk "d" where the schema has "c"/,
    );
    expect(() =>
      statsFromParquet(
        { ...footer, rowGroups: [{ numRows: 1, columns: [] }] },
        schemaFromParquet(schema).leaves,
      ),
    ).toThrow(/row group 0 has 0 columns, the schema 1/);
  });
});
