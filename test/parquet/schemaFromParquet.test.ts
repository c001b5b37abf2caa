import { describe, expect, it } from 'vitest';
import type { SchemaElement } from '../../lib/parquet/parquetFooter.js';
import { ParquetError } from '../../lib/parquet/parquetError.js';
import { icebergPrimitiveType, schemaFromParquet } from '../../lib/parquet/schemaFromParquet.js';

const root = (n: number): SchemaElement => ({ name: 'schema', numChildren: n });
const opt = (element: Omit<SchemaElement, 'repetition'>): SchemaElement => ({
  ...element,
  repetition: 'OPTIONAL',
});
const col = (element: Omit<SchemaElement, 'name'>): SchemaElement => ({ name: 'c', ...element });

describe('icebergPrimitiveType', () => {
  const mapped: Array<[string, SchemaElement, string]> = [
    ['BOOLEAN', col({ type: 'BOOLEAN' }), 'boolean'],
    ['INT32', col({ type: 'INT32' }), 'int'],
    [
      'INT32 INT(8, signed)',
      col({ type: 'INT32', logicalType: { type: 'INTEGER', bitWidth: 8, isSigned: true } }),
      'int',
    ],
    ['INT32 INT_16', col({ type: 'INT32', convertedType: 'INT_16' }), 'int'],
    ['INT32 UINT_8', col({ type: 'INT32', convertedType: 'UINT_8' }), 'int'],
    ['INT32 UINT_16', col({ type: 'INT32', convertedType: 'UINT_16' }), 'int'],
    ['INT32 UINT_32', col({ type: 'INT32', convertedType: 'UINT_32' }), 'long'],
    [
      'INT32 INT(32, unsigned)',
      col({ type: 'INT32', logicalType: { type: 'INTEGER', bitWidth: 32, isSigned: false } }),
      'long',
    ],
    ['INT32 DATE', col({ type: 'INT32', logicalType: { type: 'DATE' } }), 'date'],
    ['INT32 TIME_MILLIS', col({ type: 'INT32', convertedType: 'TIME_MILLIS' }), 'time'],
    [
      'INT32 DECIMAL (legacy)',
      col({ type: 'INT32', convertedType: 'DECIMAL', precision: 9, scale: 2 }),
      'decimal(9,2)',
    ],
    ['INT64', col({ type: 'INT64' }), 'long'],
    ['INT64 INT_64', col({ type: 'INT64', convertedType: 'INT_64' }), 'long'],
    [
      'INT64 TIME(MICROS)',
      col({ type: 'INT64', logicalType: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' } }),
      'time',
    ],
    [
      'INT64 TIMESTAMP_MILLIS (legacy = UTC)',
      col({ type: 'INT64', convertedType: 'TIMESTAMP_MILLIS' }),
      'timestamptz',
    ],
    [
      'INT64 TIMESTAMP_MICROS (legacy = UTC)',
      col({ type: 'INT64', convertedType: 'TIMESTAMP_MICROS' }),
      'timestamptz',
    ],
    [
      'INT64 TIMESTAMP(MICROS, local)',
      col({ type: 'INT64', logicalType: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' } }),
      'timestamp',
    ],
    [
      'INT64 TIMESTAMP(NANOS, UTC)',
      col({ type: 'INT64', logicalType: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' } }),
      'timestamptz_ns',
    ],
    [
      'INT64 TIMESTAMP(NANOS, local)',
      col({ type: 'INT64', logicalType: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'NANOS' } }),
      'timestamp_ns',
    ],
    [
      'INT64 DECIMAL',
      col({ type: 'INT64', logicalType: { type: 'DECIMAL', precision: 18, scale: 0 } }),
      'decimal(18,0)',
    ],
    ['INT96', col({ type: 'INT96' }), 'timestamp'],
    ['FLOAT', col({ type: 'FLOAT' }), 'float'],
    ['DOUBLE', col({ type: 'DOUBLE' }), 'double'],
    ['BYTE_ARRAY', col({ type: 'BYTE_ARRAY' }), 'binary'],
    ['BYTE_ARRAY UTF8', col({ type: 'BYTE_ARRAY', convertedType: 'UTF8' }), 'string'],
    ['BYTE_ARRAY ENUM', col({ type: 'BYTE_ARRAY', logicalType: { type: 'ENUM' } }), 'string'],
    ['BYTE_ARRAY JSON', col({ type: 'BYTE_ARRAY', convertedType: 'JSON' }), 'string'],
    ['BYTE_ARRAY BSON', col({ type: 'BYTE_ARRAY', convertedType: 'BSON' }), 'binary'],
    [
      'BYTE_ARRAY DECIMAL',
      col({ type: 'BYTE_ARRAY', logicalType: { type: 'DECIMAL', precision: 38, scale: 38 } }),
      'decimal(38,38)',
    ],
    [
      'FIXED DECIMAL',
      col({ type: 'FIXED_LEN_BYTE_ARRAY', typeLength: 5, convertedType: 'DECIMAL', precision: 11, scale: 3 }),
      'decimal(11,3)',
    ],
    ['FIXED', col({ type: 'FIXED_LEN_BYTE_ARRAY', typeLength: 7 }), 'fixed[7]'],
    [
      'FIXED UUID',
      col({ type: 'FIXED_LEN_BYTE_ARRAY', typeLength: 16, logicalType: { type: 'UUID' } }),
      'uuid',
    ],
  ];

  it.each(mapped)('%s → %s', (_, element, type) => {
    expect(icebergPrimitiveType(element)).toBe(type);
  });

  const refused: Array<[string, SchemaElement, RegExp]> = [
    ['UINT_64', col({ type: 'INT64', convertedType: 'UINT_64' }), /UINT_64 has no lossless Iceberg type/],
    [
      'INT(64, unsigned)',
      col({ type: 'INT64', logicalType: { type: 'INTEGER', bitWidth: 64, isSigned: false } }),
      /UINT_64/,
    ],
    [
      'INTERVAL',
      col({ type: 'FIXED_LEN_BYTE_ARRAY', typeLength: 12, convertedType: 'INTERVAL' }),
      /INTERVAL/,
    ],
    [
      'TIME(NANOS)',
      col({ type: 'INT64', logicalType: { type: 'TIME', isAdjustedToUTC: true, unit: 'NANOS' } }),
      /TIME\(NANOS\)/,
    ],
    [
      'DECIMAL p=39',
      col({
        type: 'FIXED_LEN_BYTE_ARRAY',
        typeLength: 17,
        convertedType: 'DECIMAL',
        precision: 39,
        scale: 0,
      }),
      /maximum precision 38/,
    ],
    [
      'DECIMAL on DOUBLE',
      col({ type: 'DOUBLE', convertedType: 'DECIMAL', precision: 5, scale: 0 }),
      /DECIMAL on DOUBLE/,
    ],
    [
      'FLOAT16',
      col({ type: 'FIXED_LEN_BYTE_ARRAY', typeLength: 2, logicalType: { type: 'FLOAT16' } }),
      /FLOAT16/,
    ],
    [
      'GEOMETRY',
      col({ type: 'BYTE_ARRAY', logicalType: { type: 'GEOMETRY' } }),
      /GEOMETRY on BYTE_ARRAY has no Iceberg type/,
    ],
    [
      'UUID of 8 bytes',
      col({ type: 'FIXED_LEN_BYTE_ARRAY', typeLength: 8, logicalType: { type: 'UUID' } }),
      /16 bytes, got 8/,
    ],
    [
      'unknown logical type',
      col({ type: 'INT32', logicalType: { type: 'UNRECOGNISED', id: 42 } }),
      /union id 42/,
    ],
    ['unknown converted type', col({ type: 'INT32', convertedType: 'UNRECOGNISED_77' }), /UNRECOGNISED_77/],
    [
      'DATE on INT64',
      col({ type: 'INT64', logicalType: { type: 'DATE' } }),
      /DATE on INT64 has no Iceberg type/,
    ],
    ['STRING on INT32', col({ type: 'INT32', convertedType: 'UTF8' }), /UTF8 on INT32/],
  ];

  it.each(refused)('refuses %s with a reason', (_, element, reason) => {
    let error: unknown;
    try {
      icebergPrimitiveType(element, ['t', 'c']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParquetError);
    expect(error).toMatchObject({ code: 'unsupported_type', details: { column: 't.c' } });
    expect((error as Error).message).toMatch(/^column "t\.c": /);
    expect((error as Error).message).toMatch(reason);
  });
});

describe('schemaFromParquet: nested shapes of the Parquet compatibility rules', () => {
  it('2-level list of a primitive (repeated primitive under LIST)', () => {
    const { schema, leaves } = schemaFromParquet([
      root(1),
      { name: 'xs', repetition: 'OPTIONAL', convertedType: 'LIST', numChildren: 1 },
      { name: 'element', repetition: 'REPEATED', type: 'INT32' },
    ]);
    expect(schema.fields).toEqual([
      {
        id: 1,
        name: 'xs',
        required: false,
        type: { type: 'list', 'element-id': 2, element: 'int', 'element-required': false },
      },
    ]);
    expect(leaves).toMatchObject([{ path: ['xs', 'element'], fieldId: 2, repeated: true }]);
  });

  it('legacy "array" and "<name>_tuple" repeated groups are the element struct', () => {
    for (const repeatedName of ['array', 'pairs_tuple']) {
      const { schema } = schemaFromParquet([
        root(1),
        { name: 'pairs', repetition: 'OPTIONAL', convertedType: 'LIST', numChildren: 1 },
        { name: repeatedName, repetition: 'REPEATED', numChildren: 1 },
        opt({ name: 'v', type: 'BYTE_ARRAY', convertedType: 'UTF8' }),
      ]);
      expect(schema.fields[0]!.type).toEqual({
        type: 'list',
        'element-id': 2,
        element: { type: 'struct', fields: [{ id: 3, name: 'v', required: false, type: 'string' }] },
        'element-required': false,
      });
    }
  });

  it('a repeated group with several fields under LIST is the element struct', () => {
    const { schema } = schemaFromParquet([
      root(1),
      { name: 'pts', repetition: 'REQUIRED', logicalType: { type: 'LIST' }, numChildren: 1 },
      { name: 'pt', repetition: 'REPEATED', numChildren: 2 },
      { name: 'x', repetition: 'REQUIRED', type: 'DOUBLE' },
      { name: 'y', repetition: 'REQUIRED', type: 'DOUBLE' },
    ]);
    expect(schema.fields[0]).toMatchObject({
      required: false,
      type: { type: 'list', 'element-id': 2, element: { type: 'struct', fields: [{ id: 3 }, { id: 4 }] } },
    });
  });

  it('a repeated field outside LIST is a list of its values', () => {
    const { schema, leaves } = schemaFromParquet([
      root(2),
      { name: 'names', repetition: 'REPEATED', type: 'BYTE_ARRAY', convertedType: 'UTF8' },
      { name: 'kv', repetition: 'REPEATED', numChildren: 1 },
      { name: 'k', repetition: 'REQUIRED', type: 'INT64' },
    ]);
    expect(schema.fields).toEqual([
      {
        id: 1,
        name: 'names',
        required: false,
        type: { type: 'list', 'element-id': 2, element: 'string', 'element-required': false },
      },
      {
        id: 3,
        name: 'kv',
        required: false,
        type: {
          type: 'list',
          'element-id': 4,
          element: { type: 'struct', fields: [{ id: 5, name: 'k', required: false, type: 'long' }] },
          'element-required': false,
        },
      },
    ]);
    expect(leaves.map((l) => [l.path.join('.'), l.fieldId, l.repeated])).toEqual([
      ['names', 2, true],
      ['kv.k', 5, true],
    ]);
  });

  it('legacy MAP_KEY_VALUE maps, keys required and values optional', () => {
    const { schema } = schemaFromParquet([
      root(1),
      { name: 'm', repetition: 'OPTIONAL', convertedType: 'MAP', numChildren: 1 },
      { name: 'map', repetition: 'REPEATED', convertedType: 'MAP_KEY_VALUE', numChildren: 2 },
      { name: 'key', repetition: 'REQUIRED', type: 'BYTE_ARRAY', convertedType: 'UTF8' },
      { name: 'value', repetition: 'REQUIRED', type: 'DOUBLE' },
    ]);
    expect(schema.fields[0]!.type).toEqual({
      type: 'map',
      'key-id': 2,
      key: 'string',
      'value-id': 3,
      value: 'double',
      'value-required': false,
    });
  });

  it('uses Parquet field ids only when every Iceberg field has a distinct one', () => {
    const withIds = schemaFromParquet([
      root(2),
      { name: 'a', repetition: 'REQUIRED', type: 'INT32', fieldId: 10 },
      { name: 'b', repetition: 'OPTIONAL', convertedType: 'LIST', numChildren: 1, fieldId: 20 },
      { name: 'list', repetition: 'REPEATED', numChildren: 1 },
      { name: 'element', repetition: 'OPTIONAL', type: 'INT64', fieldId: 21 },
    ]);
    expect(withIds.hasFieldIds).toBe(true);
    expect(withIds.schema.fields.map((f) => f.id)).toEqual([10, 20]);
    expect(withIds.leaves.map((l) => l.fieldId)).toEqual([10, 21]);

    const elementWithoutId = schemaFromParquet([
      root(2),
      { name: 'a', repetition: 'REQUIRED', type: 'INT32', fieldId: 10 },
      { name: 'b', repetition: 'OPTIONAL', convertedType: 'LIST', numChildren: 1, fieldId: 20 },
      { name: 'list', repetition: 'REPEATED', numChildren: 1 },
      { name: 'element', repetition: 'OPTIONAL', type: 'INT64' },
    ]);
    expect(elementWithoutId.hasFieldIds).toBe(false);
    expect(elementWithoutId.leaves.map((l) => l.fieldId)).toEqual([1, 3]);

    const duplicate = schemaFromParquet([
      root(2),
      { name: 'a', repetition: 'REQUIRED', type: 'INT32', fieldId: 7 },
      { name: 'b', repetition: 'REQUIRED', type: 'INT32', fieldId: 7 },
    ]);
    expect(duplicate.hasFieldIds).toBe(false);
    expect(duplicate.schema.fields.map((f) => f.id)).toEqual([1, 2]);
  });

  it('leaves with num_children = 0 are still leaves', () => {
    const { schema } = schemaFromParquet([root(1), { name: 'a', type: 'INT32', numChildren: 0 }]);
    expect(schema.fields).toEqual([{ id: 1, name: 'a', required: false, type: 'int' }]);
  });

  const malformed: Array<[string, SchemaElement[], string, RegExp]> = [
    [
      'LIST without a repeated child',
      [
        root(1),
        { name: 'l', convertedType: 'LIST', numChildren: 1 },
        { name: 'e', repetition: 'OPTIONAL', type: 'INT32' },
      ],
      'unsupported_type',
      /column "l": LIST group must have exactly one repeated child/,
    ],
    [
      'MAP without values',
      [
        root(1),
        { name: 's', convertedType: 'MAP', numChildren: 1 },
        { name: 'key_value', repetition: 'REPEATED', numChildren: 1 },
        { name: 'key', repetition: 'REQUIRED', type: 'INT32' },
      ],
      'unsupported_type',
      /column "s.key_value": MAP without values/,
    ],
    [
      'VARIANT group',
      [
        root(1),
        { name: 'v', logicalType: { type: 'VARIANT' }, numChildren: 2 },
        { name: 'metadata', repetition: 'REQUIRED', type: 'BYTE_ARRAY' },
        { name: 'value', repetition: 'REQUIRED', type: 'BYTE_ARRAY' },
      ],
      'unsupported_type',
      /column "v": group annotated VARIANT has no Iceberg type/,
    ],
    [
      'duplicate names',
      [root(2), { name: 'a', type: 'INT32' }, { name: 'a', type: 'INT64' }],
      'unsupported_type',
      /duplicate column name/,
    ],
    [
      'schema ending inside a group',
      [root(3), { name: 'a', type: 'INT32' }],
      'corrupt_footer',
      /schema ends inside a group/,
    ],
    [
      'elements past the root',
      [root(1), { name: 'a', type: 'INT32' }, { name: 'b', type: 'INT32' }],
      'corrupt_footer',
      /3 elements but the root covers 2/,
    ],
  ];

  it.each(malformed)('%s → %s', (_, elements, code, message) => {
    expect(() => schemaFromParquet(elements)).toThrow(message);
    try {
      schemaFromParquet(elements);
    } catch (error) {
      expect(error).toMatchObject({ code });
    }
  });
});
