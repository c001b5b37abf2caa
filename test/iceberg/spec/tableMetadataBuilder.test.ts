import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IcebergError } from '../../../lib/iceberg/icebergError.js';
import { assertRequirements, checkRequirements } from '../../../lib/iceberg/spec/checkRequirements.js';
import { partitionSpecFor } from '../../../lib/iceberg/spec/partitionSpec.js';
import type { Snapshot } from '../../../lib/iceberg/spec/snapshot.js';
import { snapshotIdFromBytes } from '../../../lib/iceberg/spec/snapshot.js';
import {
  parseTableMetadata,
  serializeTableMetadata,
  type TableMetadata,
} from '../../../lib/iceberg/spec/tableMetadata.js';
import { newTableMetadata } from '../../../lib/iceberg/spec/newTableMetadata.js';
import { applyUpdates } from '../../../lib/iceberg/spec/tableMetadataBuilder.js';
import type { TableRequirement, TableUpdate } from '../../../lib/iceberg/spec/tableUpdate.js';
import type { Schema } from '../../../lib/iceberg/spec/types.js';

const GOLDEN = join(import.meta.dirname, '../../fixtures/iceberg/table-metadata-after-two-appends.json');
const UUID = '5f0e4b8a-1c2d-4e3f-8a9b-0c1d2e3f4a5b';
const BIG_ID = 9007199254740993n; // 2^53 + 1: not representable as a double
const SECOND_ID = 7_000_000_000_000_000_001n;

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'day', required: false, type: 'date' },
    {
      id: 3,
      name: 'tags',
      required: false,
      type: { type: 'list', 'element-id': 4, element: 'string', 'element-required': false },
    },
  ],
};

function newTable(properties: Record<string, string> = {}): TableMetadata {
  return newTableMetadata({
    location: 's3://bucket/wh/db/t/',
    schema,
    spec: partitionSpecFor(schema, [{ column: 'day' }]),
    properties,
    uuid: UUID,
    nowMs: 1_700_000_000_000,
  });
}

function snapshot(id: bigint, sequenceNumber: number, parent?: bigint): Snapshot {
  return {
    snapshotId: id,
    ...(parent === undefined ? {} : { parentSnapshotId: parent }),
    sequenceNumber,
    timestampMs: 1_700_000_000_000 + sequenceNumber * 1000,
    manifestList: `s3://bucket/wh/db/t/metadata/snap-${id}.avro`,
    summary: { operation: 'append', 'added-data-files': '1' },
    schemaId: 0,
  };
}

function append(id: bigint, sequenceNumber: number, parent?: bigint): TableUpdate[] {
  return [
    { action: 'add-snapshot', snapshot: snapshot(id, sequenceNumber, parent) },
    { action: 'set-snapshot-ref', refName: 'main', type: 'branch', snapshotId: id },
  ];
}

function thrown(f: () => unknown): IcebergError {
  try {
    f();
  } catch (error) {
    if (error instanceof IcebergError) return error;
    throw error;
  }
  throw new Error('expected an IcebergError');
}

describe('newTableMetadata', () => {
  it('creates a v2 table with ids assigned as the spec says', () => {
    const m = newTable({ owner: 'astha' });
    expect(m).toMatchObject({
      formatVersion: 2,
      tableUuid: UUID,
      location: 's3://bucket/wh/db/t',
      lastSequenceNumber: 0,
      lastUpdatedMs: 1_700_000_000_000,
      lastColumnId: 4,
      currentSchemaId: 0,
      defaultSpecId: 0,
      lastPartitionId: 1000,
      defaultSortOrderId: 0,
      currentSnapshotId: undefined,
      properties: { owner: 'astha' },
    });
    expect(m.partitionSpecs[0]?.fields).toEqual([
      { sourceId: 2, fieldId: 1000, name: 'day', transform: 'identity' },
    ]);
    expect(m.sortOrders).toEqual([{ orderId: 0, fields: [] }]);
  });

  it('refuses a spec on a column the schema lacks', () => {
    const spec = { specId: 0, fields: [{ sourceId: 9, fieldId: 1000, name: 'x', transform: 'identity' }] };
    const error = thrown(() =>
      newTableMetadata({ location: 's3://b/t', schema, spec, uuid: UUID, nowMs: 1 }),
    );
    expect(error.code).toBe('invalid_update');
    expect(error.message).toMatch(/source column 9 is not in schema 0/);
  });

  it('refuses a transform that does not fit the column type', () => {
    const error = thrown(() => partitionSpecFor(schema, [{ column: 'id', transform: 'hour' }]));
    expect(error.message).toMatch(/hour cannot apply to long/);
  });
});

describe('applyUpdates', () => {
  it('appends snapshots, moves main and keeps the snapshot log and metadata log (golden)', () => {
    const base = newTable();
    const one = applyUpdates(base, append(BIG_ID, 1), { nowMs: 1_700_000_001_500, metadataLocation: 'v1' });
    const two = applyUpdates(one, append(SECOND_ID, 2, BIG_ID), {
      nowMs: 1_700_000_003_000,
      metadataLocation: 'v2',
    });
    expect(two.currentSnapshotId).toBe(SECOND_ID);
    expect(two.lastSequenceNumber).toBe(2);
    // last-updated-ms is the added snapshot's time, so the snapshot log and the table agree.
    expect(two.lastUpdatedMs).toBe(1_700_000_002_000);
    expect(two.snapshotLog).toEqual([
      { timestampMs: 1_700_000_001_000, snapshotId: BIG_ID },
      { timestampMs: 1_700_000_002_000, snapshotId: SECOND_ID },
    ]);
    expect(two.metadataLog).toEqual([
      { timestampMs: 1_700_000_000_000, metadataFile: 'v1' },
      { timestampMs: 1_700_000_001_000, metadataFile: 'v2' },
    ]);
    expect(two.refs).toEqual({ main: { snapshotId: SECOND_ID, type: 'branch' } });
    const text = serializeTableMetadata(two);
    expect(text).toContain('"snapshot-id": 9007199254740993');
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
    expect(parseTableMetadata(text)).toEqual(two);
  });

  it('is pure: the base is untouched and the same inputs give the same output', () => {
    const base = newTable();
    const before = serializeTableMetadata(base);
    const a = applyUpdates(base, append(BIG_ID, 1), { nowMs: 5, metadataLocation: 'v1' });
    const b = applyUpdates(base, append(BIG_ID, 1), { nowMs: 5, metadataLocation: 'v1' });
    expect(serializeTableMetadata(base)).toBe(before);
    expect(a).toEqual(b);
    expect(applyUpdates(base, [], { nowMs: 5 })).toBe(base);
  });

  it.each([
    [
      'a duplicate snapshot id',
      [...append(BIG_ID, 1), ...append(BIG_ID, 2)],
      'duplicate_snapshot',
      /already exists/,
    ],
    [
      'a stale sequence number',
      [...append(BIG_ID, 1), ...append(SECOND_ID, 1, BIG_ID)],
      'stale_sequence_number',
      /not above/,
    ],
    ['a parent that does not exist', append(SECOND_ID, 1, 42n), 'missing_parent', /parent 42/],
    [
      'a ref to a missing snapshot',
      [{ action: 'set-snapshot-ref', refName: 'main', type: 'branch', snapshotId: 3n }],
      'missing_snapshot',
      /snapshot 3 does not exist/,
    ],
  ] as [string, TableUpdate[], string, RegExp][])('rejects %s', (_name, updates, reason, message) => {
    const error = thrown(() => applyUpdates(newTable(), updates, { nowMs: 1 }));
    expect(error.code).toBe('invalid_update');
    expect(error.retryable).toBe(false);
    expect(error.details.reason).toBe(reason);
    expect(error.message).toMatch(message);
  });

  it.each([
    ['an unknown schema id', { action: 'set-current-schema', schemaId: 5 }, /schema 5 does not exist/],
    ['an unknown spec id', { action: 'set-default-spec', specId: 3 }, /partition spec 3 does not exist/],
    [
      'an unknown sort order id',
      { action: 'set-default-sort-order', sortOrderId: 2 },
      /sort order 2 does not exist/,
    ],
    ['-1 with nothing added', { action: 'set-current-schema', schemaId: -1 }, /none was added/],
    [
      'a different uuid',
      { action: 'assign-uuid', uuid: '00000000-0000-0000-0000-000000000000' },
      /cannot reassign/,
    ],
    ['a format downgrade', { action: 'upgrade-format-version', formatVersion: 1 }, /cannot downgrade/],
    [
      'main as a tag',
      { action: 'set-snapshot-ref', refName: 'main', type: 'tag', snapshotId: BIG_ID },
      /main must be a branch/,
    ],
  ] as [string, TableUpdate, RegExp][])('rejects %s', (_name, update, message) => {
    const base = applyUpdates(newTable(), append(BIG_ID, 1), { nowMs: 1 });
    expect(thrown(() => applyUpdates(base, [update], { nowMs: 1 })).message).toMatch(message);
  });

  it('adds a schema with new columns, raising last-column-id, and reuses an identical one', () => {
    const base = newTable();
    const wider: Schema = {
      ...schema,
      fields: [...schema.fields, { id: 7, name: 'note', required: false, type: 'string' }],
    };
    const m = applyUpdates(
      base,
      [
        { action: 'add-schema', schema: wider },
        { action: 'set-current-schema', schemaId: -1 },
      ],
      { nowMs: 2 },
    );
    expect(m.currentSchemaId).toBe(1);
    expect(m.lastColumnId).toBe(7);
    const again = applyUpdates(m, [{ action: 'add-schema', schema: { ...wider, 'schema-id': 9 } }], {
      nowMs: 3,
    });
    expect(again.schemas).toHaveLength(2);
  });

  it('adds a spec and a sort order with fresh ids', () => {
    const base = newTable();
    const spec = partitionSpecFor(schema, [{ column: 'id', transform: 'bucket[8]' }], { firstFieldId: 1001 });
    const m = applyUpdates(
      base,
      [
        { action: 'add-spec', spec },
        { action: 'set-default-spec', specId: -1 },
        {
          action: 'add-sort-order',
          sortOrder: {
            orderId: 0,
            fields: [{ sourceId: 1, transform: 'identity', direction: 'asc', nullOrder: 'nulls-first' }],
          },
        },
        { action: 'set-default-sort-order', sortOrderId: -1 },
      ],
      { nowMs: 2 },
    );
    expect(m.defaultSpecId).toBe(1);
    expect(m.partitionSpecs[1]?.fields[0]).toEqual({
      sourceId: 1,
      fieldId: 1001,
      name: 'id_bucket_8',
      transform: 'bucket[8]',
    });
    expect(m.lastPartitionId).toBe(1001);
    expect(m.defaultSortOrderId).toBe(1);
  });

  it('refuses partition field ids that were assigned to something else', () => {
    const reused = partitionSpecFor(schema, [{ column: 'id' }]);
    expect(
      thrown(() => applyUpdates(newTable(), [{ action: 'add-spec', spec: reused }], { nowMs: 2 })).message,
    ).toMatch(/partition field id 1000 already means identity\(2\)/);
    const below = { specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'id', transform: 'identity' }] };
    const base = applyUpdates(
      newTable(),
      [
        {
          action: 'add-spec',
          spec: partitionSpecFor(schema, [{ column: 'day' }, { column: 'id', transform: 'bucket[2]' }]),
        },
      ],
      { nowMs: 2 },
    );
    expect(base.lastPartitionId).toBe(1001);
    const fresh = {
      specId: 0,
      fields: [{ sourceId: 1, fieldId: 1001, name: 'id_b', transform: 'bucket[4]' }],
    };
    expect(
      thrown(() => applyUpdates(base, [{ action: 'add-spec', spec: fresh }], { nowMs: 3 })).message,
    ).toMatch(/already means bucket\[2\]\(1\)/);
    const gap = partitionSpecFor(schema, [{ column: 'id', transform: 'bucket[8]' }], { firstFieldId: 1005 });
    const gapped = applyUpdates(newTable(), [{ action: 'add-spec', spec: gap }], { nowMs: 3 });
    expect(gapped.lastPartitionId).toBe(1005);
    expect(
      thrown(() => applyUpdates(gapped, [{ action: 'add-spec', spec: below }], { nowMs: 3 })).message,
    ).toMatch(/already means identity\(2\)/);
    const inGap = {
      specId: 0,
      fields: [{ sourceId: 1, fieldId: 1003, name: 'id_t', transform: 'truncate[3]' }],
    };
    expect(
      thrown(() => applyUpdates(gapped, [{ action: 'add-spec', spec: inGap }], { nowMs: 3 })).message,
    ).toMatch(/must get an id above last-partition-id 1005/);
  });

  it('sets, replaces and removes properties', () => {
    const m = applyUpdates(
      newTable({ a: '1', b: '2' }),
      [
        { action: 'set-properties', updates: { b: '3', c: '4' } },
        { action: 'remove-properties', removals: ['a', 'missing'] },
      ],
      { nowMs: 2 },
    );
    expect(m.properties).toEqual({ b: '3', c: '4' });
  });

  it('removes snapshots with their refs and the snapshot-log history before them', () => {
    let m = applyUpdates(newTable(), append(BIG_ID, 1), { nowMs: 1 });
    m = applyUpdates(m, append(SECOND_ID, 2, BIG_ID), { nowMs: 2 });
    m = applyUpdates(m, [{ action: 'set-snapshot-ref', refName: 'old', type: 'tag', snapshotId: BIG_ID }], {
      nowMs: 3,
    });
    const expired = applyUpdates(m, [{ action: 'remove-snapshots', snapshotIds: [BIG_ID] }], { nowMs: 4 });
    expect(expired.snapshots.map((s) => s.snapshotId)).toEqual([SECOND_ID]);
    expect(Object.keys(expired.refs)).toEqual(['main']);
    expect(expired.snapshotLog.map((e) => e.snapshotId)).toEqual([SECOND_ID]);
    const dropped = applyUpdates(expired, [{ action: 'remove-snapshot-ref', refName: 'main' }], { nowMs: 5 });
    expect(dropped.currentSnapshotId).toBeUndefined();
    expect(serializeTableMetadata(dropped)).toContain('"current-snapshot-id": -1');
  });

  it('logs a rollback of main to an older snapshot at commit time', () => {
    let m = applyUpdates(newTable(), append(BIG_ID, 1), { nowMs: 1 });
    m = applyUpdates(m, append(SECOND_ID, 2, BIG_ID), { nowMs: 2 });
    m = applyUpdates(
      m,
      [{ action: 'set-snapshot-ref', refName: 'main', type: 'branch', snapshotId: BIG_ID }],
      { nowMs: 99 },
    );
    expect(m.currentSnapshotId).toBe(BIG_ID);
    expect(m.snapshotLog.at(-1)).toEqual({ timestampMs: 99, snapshotId: BIG_ID });
  });
});

describe('metadata-log trimming', () => {
  it('keeps write.metadata.previous-versions-max entries, newest last', () => {
    let m = newTable({ 'write.metadata.previous-versions-max': '3' });
    for (let v = 1; v <= 5; v++) {
      m = applyUpdates(m, [{ action: 'set-properties', updates: { v: String(v) } }], {
        nowMs: 1000 + v,
        metadataLocation: `v${v}.metadata.json`,
      });
    }
    expect(m.metadataLog.map((e) => e.metadataFile)).toEqual([
      'v3.metadata.json',
      'v4.metadata.json',
      'v5.metadata.json',
    ]);
    expect(m.metadataLog.map((e) => e.timestampMs)).toEqual([1002, 1003, 1004]);
  });

  it('defaults to 100 entries', () => {
    let m = newTable();
    for (let v = 1; v <= 105; v++) {
      m = applyUpdates(m, [{ action: 'set-properties', updates: { v: String(v) } }], {
        nowMs: v,
        metadataLocation: `v${v}`,
      });
    }
    expect(m.metadataLog).toHaveLength(100);
    expect(m.metadataLog[0]?.metadataFile).toBe('v6');
  });
});

describe('checkRequirements', () => {
  const table = applyUpdates(newTable(), append(BIG_ID, 1), { nowMs: 1 });

  it('passes when every requirement holds', () => {
    const all: TableRequirement[] = [
      { type: 'assert-table-uuid', uuid: UUID },
      { type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: BIG_ID },
      { type: 'assert-ref-snapshot-id', ref: 'dev', snapshotId: null },
      { type: 'assert-last-assigned-field-id', lastAssignedFieldId: 4 },
      { type: 'assert-current-schema-id', currentSchemaId: 0 },
      { type: 'assert-last-assigned-partition-id', lastAssignedPartitionId: 1000 },
      { type: 'assert-default-spec-id', defaultSpecId: 0 },
      { type: 'assert-default-sort-order-id', defaultSortOrderId: 0 },
    ];
    expect(checkRequirements(table, all)).toBeUndefined();
    expect(checkRequirements(undefined, [{ type: 'assert-create' }])).toBeUndefined();
  });

  it.each([
    [{ type: 'assert-create' }, /already exists/],
    [{ type: 'assert-table-uuid', uuid: '00000000-0000-0000-0000-000000000000' }, /table uuid is 5f0e/],
    [
      { type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: SECOND_ID },
      /ref main is 9007199254740993, expected 7000000000000000001/,
    ],
    [{ type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: null }, /ref main exists/],
    [{ type: 'assert-ref-snapshot-id', ref: 'dev', snapshotId: BIG_ID }, /ref dev does not exist/],
    [{ type: 'assert-last-assigned-field-id', lastAssignedFieldId: 3 }, /last assigned field id is 4/],
    [{ type: 'assert-current-schema-id', currentSchemaId: 1 }, /current schema id is 0/],
    [{ type: 'assert-last-assigned-partition-id', lastAssignedPartitionId: 999 }, /partition id is 1000/],
    [{ type: 'assert-default-spec-id', defaultSpecId: 1 }, /default spec id is 0/],
    [{ type: 'assert-default-sort-order-id', defaultSortOrderId: 1 }, /sort order id is 0/],
  ] as [TableRequirement, RegExp][])('reports $type when it fails', (requirement, reason) => {
    const failure = checkRequirements(table, [{ type: 'assert-table-uuid', uuid: UUID }, requirement]);
    expect(failure?.requirement).toBe(requirement);
    expect(failure?.reason).toMatch(reason);
    const error = thrown(() => assertRequirements(table, [requirement]));
    expect(error.code).toBe('requirement_failed');
    expect(error.retryable).toBe(true);
  });

  it('fails every non-create requirement on a missing table', () => {
    expect(
      checkRequirements(undefined, [{ type: 'assert-current-schema-id', currentSchemaId: 0 }])?.reason,
    ).toBe('the table does not exist');
  });
});

describe('snapshotIdFromBytes', () => {
  it('makes positive 63-bit ids', () => {
    expect(snapshotIdFromBytes(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe(
      2n ** 63n - 1n,
    );
    expect(snapshotIdFromBytes(new Uint8Array(8))).toBe(1n);
  });
});

describe('partition spec validation', () => {
  it.each([
    [[{ column: 'id', name: 'day' }], /name conflicts with schema column 2/],
    [[{ column: 'id' }, { column: 'day', name: 'id' }], /empty or duplicate name/],
    [[{ column: 'id', transform: 'truncate[0]' }], /unknown partition transform/],
    [[{ column: 'tags' }], /not in the schema|not a primitive/],
  ])('rejects %j', (fields, message) => {
    expect(() => partitionSpecFor(schema, fields)).toThrow(message);
  });

  it('names transformed partitions after column and transform', () => {
    const spec = partitionSpecFor(schema, [
      { column: 'id', transform: 'truncate[10]' },
      { column: 'day', transform: 'month' },
    ]);
    expect(spec.fields.map((f) => [f.fieldId, f.name])).toEqual([
      [1000, 'id_truncate_10'],
      [1001, 'day_month'],
    ]);
  });
});

describe('statistics files', () => {
  it('are dropped with the snapshot they describe', () => {
    let m = applyUpdates(newTable(), append(BIG_ID, 1), { nowMs: 1 });
    m = applyUpdates(m, append(SECOND_ID, 2, BIG_ID), { nowMs: 2 });
    const stats = (id: bigint) => ({
      'snapshot-id': id,
      'statistics-path': `s3://b/${id}.stats`,
      'file-size-in-bytes': 1,
    });
    m = { ...m, statistics: [stats(BIG_ID), stats(SECOND_ID)] };
    const expired = applyUpdates(m, [{ action: 'remove-snapshots', snapshotIds: [BIG_ID] }], { nowMs: 3 });
    expect(expired.statistics).toEqual([stats(SECOND_ID)]);
    expect(parseTableMetadata(serializeTableMetadata(expired)).statistics).toEqual([stats(SECOND_ID)]);
  });
});
