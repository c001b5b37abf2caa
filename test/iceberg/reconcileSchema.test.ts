import { describe, expect, it } from 'vitest';
import { fieldIdsAgree, reconcileSchema, typeToString } from '../../lib/iceberg/reconcileSchema.js';
import type { IcebergType, NestedField, Schema } from '../../lib/iceberg/spec/types.js';

const field = (id: number, name: string, type: IcebergType, required = false): NestedField => ({
  id,
  name,
  required,
  type,
});
const schema = (fields: NestedField[], schemaId = 0, extra: Partial<Schema> = {}): Schema => ({
  type: 'struct',
  'schema-id': schemaId,
  fields,
  ...extra,
});

const table = schema(
  [
    field(1, 'id', 'long'),
    field(2, 'name', 'string'),
    field(3, 'tags', { type: 'list', 'element-id': 4, element: 'string', 'element-required': false }),
    field(5, 'point', {
      type: 'struct',
      fields: [field(6, 'x', 'double'), field(7, 'y', 'double')],
    }),
    field(8, 'attrs', {
      type: 'map',
      'key-id': 9,
      key: 'string',
      'value-id': 10,
      value: 'int',
      'value-required': false,
    }),
    field(11, 'price', 'decimal(9,2)'),
  ],
  3,
);

describe('reconcileSchema', () => {
  it('the same columns under other ids: unchanged, every file id mapped to the table id', () => {
    const file = schema([
      field(101, 'point', { type: 'struct', fields: [field(102, 'y', 'double'), field(103, 'x', 'double')] }),
      field(104, 'id', 'long'),
      field(105, 'attrs', {
        type: 'map',
        'key-id': 106,
        key: 'string',
        'value-id': 107,
        value: 'int',
        'value-required': false,
      }),
      field(108, 'tags', { type: 'list', 'element-id': 109, element: 'string', 'element-required': false }),
    ]);
    const result = reconcileSchema(table, file);
    expect(result).toEqual({
      ok: true,
      schema: table,
      changed: false,
      fileToTable: new Map([
        [101, 5],
        [103, 6],
        [102, 7],
        [104, 1],
        [105, 8],
        [106, 9],
        [107, 10],
        [108, 3],
        [109, 4],
      ]),
    });
    if (result.ok) expect(result.schema).toBe(table);
  });

  it('new file columns become optional table fields with fresh ids above the highest, nested ones too', () => {
    const file = schema([
      field(1, 'id', 'long', true),
      field(2, 'score', 'double', true),
      field(3, 'point', { type: 'struct', fields: [field(4, 'x', 'double'), field(5, 'z', 'float')] }),
      field(6, 'events', {
        type: 'list',
        'element-id': 7,
        element: {
          type: 'struct',
          fields: [
            field(8, 'at', 'timestamptz'),
            field(9, 'meta', {
              type: 'map',
              'key-id': 10,
              key: 'string',
              'value-id': 11,
              value: 'string',
              'value-required': true,
            }),
          ],
        },
        'element-required': true,
      }),
    ]);
    const result = reconcileSchema(table, file);
    if (!result.ok) throw new Error(result.reason);
    expect(result.changed).toBe(true);
    expect(result.schema['schema-id']).toBe(4);
    expect(result.schema.fields.slice(0, 6)).toEqual([
      table.fields[0],
      table.fields[1],
      table.fields[2],
      field(5, 'point', {
        type: 'struct',
        fields: [field(6, 'x', 'double'), field(7, 'y', 'double'), field(12, 'z', 'float')],
      }),
      table.fields[4],
      table.fields[5],
    ]);
    expect(result.schema.fields.slice(6)).toEqual([
      field(13, 'score', 'double'),
      field(14, 'events', {
        type: 'list',
        'element-id': 15,
        element: {
          type: 'struct',
          fields: [
            field(16, 'at', 'timestamptz'),
            field(17, 'meta', {
              type: 'map',
              'key-id': 18,
              key: 'string',
              'value-id': 19,
              value: 'string',
              'value-required': false,
            }),
          ],
        },
        'element-required': false,
      }),
    ]);
    expect([...result.fileToTable]).toEqual([
      [1, 1],
      [3, 5],
      [4, 6],
      [5, 12],
      [2, 13],
      [6, 14],
      [7, 15],
      [8, 16],
      [9, 17],
      [10, 18],
      [11, 19],
    ]);
    expect(table.fields).toHaveLength(6); // the input is not modified
  });

  it('a new column keeps its file id when that id is above the table and free, so id-based reads work', () => {
    const t = schema([field(1, 'a', 'long'), field(2, 'b', 'string')]);
    const withIds = schema([
      field(1, 'a', 'long'),
      field(2, 'b', 'string'),
      field(7, 'c', { type: 'list', 'element-id': 8, element: 'int', 'element-required': false }),
    ]);
    const kept = reconcileSchema(t, withIds);
    if (!kept.ok) throw new Error(kept.reason);
    expect(kept.schema.fields[2]).toEqual(withIds.fields[2]);
    expect(fieldIdsAgree(kept.fileToTable)).toBe(true);

    // Ids assigned 1..n to a file without field ids: a new column's id may be taken by the table.
    const positional = schema([field(1, 'a', 'long'), field(2, 'z', 'int'), field(3, 'b', 'string')]);
    const renumbered = reconcileSchema(t, positional);
    if (!renumbered.ok) throw new Error(renumbered.reason);
    expect(renumbered.schema.fields[2]).toEqual(field(3, 'z', 'int'));
    expect([...renumbered.fileToTable]).toEqual([
      [1, 1],
      [3, 2],
      [2, 3],
    ]);
    expect(fieldIdsAgree(renumbered.fileToTable)).toBe(false);
  });

  it('new ids stay above last-column-id when the table dropped columns', () => {
    const t = schema([field(1, 'a', 'long')]);
    const result = reconcileSchema(t, schema([field(1, 'a', 'long'), field(2, 'b', 'int')]), 9);
    expect(result.ok && result.schema.fields[1]).toEqual(field(10, 'b', 'int'));
  });

  it('widens in either direction: the table takes the wider type', () => {
    const narrow = schema([field(1, 'a', 'int'), field(2, 'b', 'float'), field(3, 'c', 'decimal(9,2)')], 0);
    const wide = schema([field(7, 'a', 'long'), field(8, 'b', 'double'), field(9, 'c', 'decimal(18,2)')]);

    const widened = reconcileSchema(narrow, wide);
    expect(widened).toMatchObject({ ok: true, changed: true });
    if (widened.ok) {
      expect(widened.schema.fields.map((f) => f.type)).toEqual(['long', 'double', 'decimal(18,2)']);
      expect(widened.schema['schema-id']).toBe(1);
    }

    const narrowerFile = reconcileSchema({ ...wide, 'schema-id': 5 }, narrow);
    expect(narrowerFile).toMatchObject({ ok: true, changed: false });
    if (narrowerFile.ok)
      expect(narrowerFile.schema.fields.map((f) => f.type)).toEqual(['long', 'double', 'decimal(18,2)']);
  });

  it('widens inside lists and maps', () => {
    const t = schema([
      field(1, 'l', { type: 'list', 'element-id': 2, element: 'int', 'element-required': false }),
      field(3, 'm', {
        type: 'map',
        'key-id': 4,
        key: 'string',
        'value-id': 5,
        value: 'float',
        'value-required': false,
      }),
    ]);
    const f = schema([
      field(1, 'l', { type: 'list', 'element-id': 2, element: 'long', 'element-required': false }),
      field(3, 'm', {
        type: 'map',
        'key-id': 4,
        key: 'string',
        'value-id': 5,
        value: 'double',
        'value-required': false,
      }),
    ]);
    const result = reconcileSchema(t, f);
    expect(result).toMatchObject({
      ok: true,
      changed: true,
      schema: { fields: [{ type: { element: 'long' } }, { type: { value: 'double' } }] },
    });
  });

  it('the same decimal spelled with a space is the same type', () => {
    const t = schema([field(1, 'p', 'decimal(9, 2)')]);
    expect(reconcileSchema(t, schema([field(5, 'p', 'decimal(9,2)')]))).toMatchObject({
      ok: true,
      changed: false,
    });
  });

  const refused: Array<[string, IcebergType, IcebergType, string]> = [
    ['string vs long', 'long', 'string', 'column "x": file type string does not fit table type long'],
    [
      'long vs int the other way is fine, but double vs long is not',
      'long',
      'double',
      'file type double does not fit table type long',
    ],
    [
      'decimal scale change',
      'decimal(9,2)',
      'decimal(10,3)',
      'file type decimal(10,3) does not fit table type decimal(9,2)',
    ],
    ['fixed lengths', 'fixed[4]', 'fixed[5]', 'file type fixed[5] does not fit table type fixed[4]'],
    [
      'timestamp vs timestamptz',
      'timestamp',
      'timestamptz',
      'file type timestamptz does not fit table type timestamp',
    ],
    [
      'struct vs primitive',
      { type: 'struct', fields: [field(2, 'a', 'int')] },
      'string',
      'file type string does not fit table type struct<a: int>',
    ],
    [
      'list vs map',
      { type: 'list', 'element-id': 2, element: 'int', 'element-required': false },
      { type: 'map', 'key-id': 2, key: 'string', 'value-id': 3, value: 'int', 'value-required': false },
      'file type map<string, int> does not fit table type list<int>',
    ],
  ];

  it.each(refused)('refuses %s, naming the column and both types', (_, tableType, fileType, reason) => {
    const result = reconcileSchema(schema([field(1, 'x', tableType)]), schema([field(1, 'x', fileType)]));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('names nested columns in reasons', () => {
    const result = reconcileSchema(
      table,
      schema([field(1, 'point', { type: 'struct', fields: [field(2, 'x', 'string')] })]),
    );
    expect(result).toEqual({
      ok: false,
      reason: 'column "point.x": file type string does not fit table type double',
    });
    const inList = reconcileSchema(
      table,
      schema([
        field(1, 'tags', { type: 'list', 'element-id': 2, element: 'binary', 'element-required': false }),
      ]),
    );
    expect(inList).toMatchObject({ ok: false, reason: expect.stringContaining('column "tags.element"') });
  });

  it('a required table field the file lacks or holds as optional becomes optional; identifier fields stay required', () => {
    const t = schema(
      [field(1, 'k', 'long', true), field(2, 'v', 'string', true), field(3, 'w', 'int', true)],
      0,
      {
        'identifier-field-ids': [1],
      },
    );
    const result = reconcileSchema(t, schema([field(1, 'k', 'long'), field(2, 'v', 'string')]));
    expect(result).toMatchObject({ ok: true, changed: true });
    if (result.ok) expect(result.schema.fields.map((f) => f.required)).toEqual([true, false, false]);
    expect(reconcileSchema(t, schema([field(2, 'v', 'string')]))).toEqual({
      ok: false,
      reason: 'column "k": identifier field is missing from the file',
    });
  });

  it('typeToString spells nested types', () => {
    expect(typeToString(table.fields[4]!.type)).toBe('map<string, int>');
    expect(typeToString(table.fields[3]!.type)).toBe('struct<x: double, y: double>');
  });
});
