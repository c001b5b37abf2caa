import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NAME_MAPPING_PROPERTY, nameMappingFromSchema } from '../../lib/iceberg/nameMapping.js';
import type { Schema } from '../../lib/iceberg/spec/types.js';
import { inspectParquet } from '../../lib/parquet/inspectParquet.js';
import { CountingStore } from '../parquet/countingStore.js';

describe('nameMappingFromSchema', () => {
  it('maps every field by name, with element / key / value for lists and maps', () => {
    const schema: Schema = {
      type: 'struct',
      'schema-id': 2,
      fields: [
        { id: 1, name: 'id', required: true, type: 'long' },
        {
          id: 2,
          name: 'location',
          required: false,
          type: {
            type: 'struct',
            fields: [
              { id: 3, name: 'lat', required: false, type: 'double' },
              { id: 4, name: 'long', required: false, type: 'double' },
            ],
          },
        },
        {
          id: 5,
          name: 'tags',
          required: false,
          type: {
            type: 'list',
            'element-id': 6,
            element: { type: 'struct', fields: [{ id: 7, name: 't', required: false, type: 'string' }] },
            'element-required': false,
          },
        },
        {
          id: 8,
          name: 'props',
          required: false,
          type: {
            type: 'map',
            'key-id': 9,
            key: 'string',
            'value-id': 10,
            value: 'int',
            'value-required': false,
          },
        },
      ],
    };
    const mapping = nameMappingFromSchema(schema);
    // The exact JSON shape of the spec's example: ids, names, nested fields only where nested.
    expect(JSON.parse(JSON.stringify(mapping))).toEqual([
      { 'field-id': 1, names: ['id'] },
      {
        'field-id': 2,
        names: ['location'],
        fields: [
          { 'field-id': 3, names: ['lat'] },
          { 'field-id': 4, names: ['long'] },
        ],
      },
      {
        'field-id': 5,
        names: ['tags'],
        fields: [{ 'field-id': 6, names: ['element'], fields: [{ 'field-id': 7, names: ['t'] }] }],
      },
      {
        'field-id': 8,
        names: ['props'],
        fields: [
          { 'field-id': 9, names: ['key'] },
          { 'field-id': 10, names: ['value'] },
        ],
      },
    ]);
    expect(NAME_MAPPING_PROPERTY).toBe('schema.name-mapping.default');
  });

  it('covers every field id of a schema inspected from a file without field ids', async () => {
    const bytes = new Uint8Array(
      readFileSync(join(import.meta.dirname, '..', 'fixtures', 'parquet', 'nested.parquet')),
    );
    const inspection = await inspectParquet(new CountingStore({ f: bytes }), 'f', bytes.length);
    const ids: number[] = [];
    const collect = (fields: ReturnType<typeof nameMappingFromSchema>): void => {
      for (const field of fields) {
        ids.push(field['field-id']);
        if (field.fields) collect(field.fields);
      }
    };
    collect(nameMappingFromSchema(inspection.schema));
    expect(ids).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  });

  it.each(['nested.parquet', 'decimal_int.parquet'])(
    'PyIceberg reads %s (no field ids) through it to the same ids and types',
    async (name) => {
      const path = join(import.meta.dirname, '..', 'fixtures', 'parquet', name);
      const bytes = new Uint8Array(readFileSync(path));
      const inspection = await inspectParquet(new CountingStore({ f: bytes }), 'f', bytes.length);
      const script = [
        'import sys, json',
        'import pyarrow.parquet as pq',
        'from pyiceberg.io.pyarrow import pyarrow_to_schema',
        'from pyiceberg.table.name_mapping import parse_mapping_from_json',
        'schema = pyarrow_to_schema(pq.read_schema(sys.argv[2]), name_mapping=parse_mapping_from_json(sys.argv[1]))',
        'print(schema.model_dump_json())',
      ].join('\n');
      const output = execFileSync(join(process.cwd(), '.venv', 'bin', 'python'), [
        '-c',
        script,
        JSON.stringify(nameMappingFromSchema(inspection.schema)),
        path,
      ]).toString();
      const strip = (value: unknown): unknown => {
        if (Array.isArray(value)) return value.map(strip);
        if (value && typeof value === 'object') {
          return Object.fromEntries(
            Object.entries(value)
              .filter(
                ([key]) =>
                  ![
                    'required',
                    'element-required',
                    'value-required',
                    'schema-id',
                    'identifier-field-ids',
                    'doc',
                  ].includes(key),
              )
              .map(([key, inner]) => [key, strip(inner)]),
          );
        }
        // PyIceberg spells decimals "decimal(9, 2)", the spec "decimal(9,2)": both are valid.
        return typeof value === 'string'
          ? value.replace(/^decimal\((\d+),\s*(\d+)\)$/, 'decimal($1,$2)')
          : value;
      };
      expect(strip(JSON.parse(output))).toEqual(strip(inspection.schema));
    },
  );
});
