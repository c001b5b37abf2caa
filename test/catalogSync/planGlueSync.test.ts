import { describe, expect, it } from 'vitest';
import type { GlueTable } from '../../lib/catalogSync/glueCatalog.js';
import { type DesiredTable, glueType, tableInputFor } from '../../lib/catalogSync/glueTableInput.js';
import { planGlueSync } from '../../lib/catalogSync/planGlueSync.js';
import type { Schema } from '../../lib/iceberg/spec/types.js';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'Amount', required: false, type: 'decimal(9,2)', doc: 'in euros' },
  ],
};

const desired = (version: number): DesiredTable => ({
  database: 'astha_sales',
  name: 'orders',
  location: 's3://lake/warehouse/sales/orders',
  metadataLocation: `s3://lake/warehouse/sales/orders/metadata/v${version}.metadata.json`,
  metadataVersion: version,
  schema,
});

/** What Glue holds after astha synced `version` (plus whatever `extra` parameters others set). */
function synced(version: number, extra: Record<string, string> = {}): GlueTable {
  const input = tableInputFor(desired(version));
  return {
    ...input,
    DatabaseName: 'astha_sales',
    VersionId: '7',
    Parameters: { ...input.Parameters, ...extra },
  };
}

describe('glueType', () => {
  it('writes Iceberg types in Glue/Hive syntax', () => {
    expect(glueType('long')).toBe('bigint');
    expect(glueType('decimal(9, 2)')).toBe('decimal(9,2)');
    expect(glueType('timestamptz')).toBe('timestamp');
    expect(glueType('fixed[16]')).toBe('binary');
    expect(glueType('uuid')).toBe('string');
    expect(
      glueType({
        type: 'struct',
        fields: [
          {
            id: 3,
            name: 'Tags',
            required: false,
            type: { type: 'list', 'element-id': 4, element: 'string', 'element-required': false },
          },
          {
            id: 5,
            name: 'attrs',
            required: false,
            type: {
              type: 'map',
              'key-id': 6,
              key: 'string',
              'value-id': 7,
              value: 'int',
              'value-required': false,
            },
          },
        ],
      }),
    ).toBe('struct<tags:array<string>,attrs:map<string,int>>');
  });
});

describe('planGlueSync', () => {
  it('creates a missing table with the Iceberg parameters, the ownership marker and the columns', () => {
    const action = planGlueSync(desired(1), undefined);
    expect(action.kind).toBe('create');
    if (action.kind !== 'create') return;
    expect(action.input.TableType).toBe('EXTERNAL_TABLE');
    expect(action.input.Parameters).toEqual({
      table_type: 'ICEBERG',
      metadata_location: desired(1).metadataLocation,
      'astha.owner': desired(1).location,
      'astha.metadata_version': '1',
    });
    expect(action.input.StorageDescriptor.Columns).toEqual([
      { Name: 'id', Type: 'bigint' },
      { Name: 'amount', Type: 'decimal(9,2)', Comment: 'in euros' },
    ]);
  });

  it('updates with the VersionId, the previous location and the parameters others set', () => {
    const action = planGlueSync(desired(10), synced(9, { team: 'sales' }));
    expect(action).toMatchObject({ kind: 'update', versionId: '7' });
    if (action.kind !== 'update') return;
    expect(action.input.Parameters).toMatchObject({
      metadata_location: desired(10).metadataLocation,
      previous_metadata_location: desired(9).metadataLocation,
      'astha.metadata_version': '10',
      team: 'sales',
    });
  });

  it('compares metadata versions as numbers: v9 is behind v10 though "v9" sorts after "v10"', () => {
    expect(planGlueSync(desired(9), synced(10))).toEqual({ kind: 'ahead', glueVersion: 10 });
  });

  it('does nothing when Glue is in step, and updates columns at the same version when the schema moved', () => {
    expect(planGlueSync(desired(4), synced(4))).toEqual({ kind: 'unchanged' });
    const wider = {
      ...desired(4),
      schema: {
        ...schema,
        fields: [...schema.fields, { id: 3, name: 'note', required: false, type: 'string' as const }],
      },
    };
    const action = planGlueSync(wider, synced(4));
    expect(action.kind).toBe('update');
    if (action.kind === 'update') expect(action.input.Parameters.previous_metadata_location).toBeUndefined();
  });

  it('leaves a table it does not own alone: no marker, or another location (another deployment)', () => {
    const foreign: GlueTable = {
      Name: 'orders',
      DatabaseName: 'astha_sales',
      Parameters: { table_type: 'ICEBERG' },
    };
    expect(planGlueSync(desired(2), foreign)).toEqual({ kind: 'foreign' });
    const other = synced(1, { 'astha.owner': 's3://other-lake/warehouse/sales/orders' });
    expect(planGlueSync(desired(2), other)).toEqual({ kind: 'foreign' });
  });
});
