import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IcebergError } from '../../../lib/iceberg/icebergError.js';
import { type JsonValue, parseJson, stringifyJson } from '../../../lib/iceberg/spec/exactJson.js';
import {
  currentSchema,
  currentSnapshot,
  parseTableMetadata,
  serializeTableMetadata,
  tableMetadataToJson,
} from '../../../lib/iceberg/spec/tableMetadata.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/iceberg/table-metadata-v2.json');
const PYTHON = join(process.cwd(), '.venv/bin/python');

describe('table metadata JSON', () => {
  it('reads the hand-written v2 fixture', () => {
    const m = parseTableMetadata(readFileSync(FIXTURE, 'utf8'));
    expect(m.tableUuid).toBe('9c12d441-03fe-4693-9a96-a0705ddf69c1');
    expect(m.lastSequenceNumber).toBe(34);
    expect(currentSchema(m).fields.map((f) => f.name)).toEqual(['x', 'y', 'z']);
    expect(currentSchema(m)['identifier-field-ids']).toEqual([1, 2]);
    expect(m.partitionSpecs[0]?.fields[1]).toEqual({
      sourceId: 2,
      fieldId: 1001,
      name: 'y_bucket_16',
      transform: 'bucket[16]',
    });
    expect(m.sortOrders[0]?.fields[1]).toEqual({
      sourceId: 3,
      transform: 'bucket[4]',
      direction: 'desc',
      nullOrder: 'nulls-last',
    });
    // Both ids are above 2^53: a double would round them.
    expect(m.currentSnapshotId).toBe(3055729675574597004n);
    expect(currentSnapshot(m)?.parentSnapshotId).toBe(3051729675574597004n);
    expect(m.refs.audit).toEqual({ snapshotId: 3051729675574597004n, type: 'tag', maxRefAgeMs: 86400000 });
    expect(m.snapshotLog[1]).toEqual({ timestampMs: 1555100955770, snapshotId: 3055729675574597004n });
    expect(m.metadataLog).toHaveLength(1);
  });

  it('round-trips the fixture member for member, ids exact', () => {
    const text = readFileSync(FIXTURE, 'utf8');
    const written = serializeTableMetadata(parseTableMetadata(text));
    expect(written).toContain('"current-snapshot-id": 3055729675574597004');
    const expected = parseJson(text) as Record<string, unknown>;
    // The writer adds the empty partition-statistics list the fixture leaves out.
    expect(parseJson(written)).toEqual({ ...expected, 'partition-statistics': [] });
    expect(parseTableMetadata(written)).toEqual(parseTableMetadata(text));
  });

  it('writes -1 for a table without snapshots and reads -1 and null back as none', () => {
    const m = { ...parseTableMetadata(readFileSync(FIXTURE, 'utf8')) };
    const empty = { ...m, currentSnapshotId: undefined, refs: {}, snapshots: [], snapshotLog: [] };
    expect(tableMetadataToJson(empty)['current-snapshot-id']).toBe(-1);
    expect(parseTableMetadata(serializeTableMetadata(empty)).currentSnapshotId).toBeUndefined();
    const withNull = serializeTableMetadata(empty).replace(
      '"current-snapshot-id": -1',
      '"current-snapshot-id": null',
    );
    expect(parseTableMetadata(withNull).currentSnapshotId).toBeUndefined();
  });

  it('derives the main branch from current-snapshot-id when refs are missing', () => {
    const json = parseJson(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
    delete json.refs;
    const m = parseTableMetadata(stringifyJson(json as JsonValue));
    expect(m.refs.main).toBeDefined();
  });

  it.each([
    [
      'format-version 1',
      (j: Record<string, unknown>) => ({ ...j, 'format-version': 1 }),
      /only 2 is supported/,
    ],
    [
      'missing uuid',
      (j: Record<string, unknown>) => ({ ...j, 'table-uuid': undefined }),
      /table-uuid: expected a string/,
    ],
    ['unknown schema', (j: Record<string, unknown>) => ({ ...j, 'current-schema-id': 7 }), /schema 7 is not/],
    [
      'bad transform',
      (j: Record<string, unknown>) => withTransform(j, 'bucket[x]'),
      /unknown partition transform/,
    ],
    [
      'dangling snapshot',
      (j: Record<string, unknown>) => ({ ...j, 'current-snapshot-id': 5 }),
      /current snapshot 5/,
    ],
  ])('rejects %s', (_name, mutate, message) => {
    const json = mutate(parseJson(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>);
    const text = stringifyJson(json as JsonValue);
    let error: unknown;
    try {
      parseTableMetadata(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IcebergError);
    expect((error as IcebergError).message).toMatch(message);
  });

  it('is read by PyIceberg with the same ids', () => {
    const m = parseTableMetadata(readFileSync(FIXTURE, 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), 'astha-meta-'));
    const path = join(dir, 'v1.metadata.json');
    writeFileSync(path, serializeTableMetadata(m));
    const script = [
      'import json, sys',
      'from pyiceberg.table.metadata import TableMetadataUtil',
      'm = TableMetadataUtil.parse_raw(open(sys.argv[1]).read())',
      'print(json.dumps({"uuid": str(m.table_uuid), "current": str(m.current_snapshot_id),',
      '  "ids": [str(s.snapshot_id) for s in m.snapshots], "specs": len(m.partition_specs),',
      '  "last_partition_id": m.last_partition_id, "schema": m.current_schema_id}))',
    ].join('\n');
    const out = JSON.parse(execFileSync(PYTHON, ['-c', script, path], { encoding: 'utf8' }));
    expect(out).toEqual({
      uuid: m.tableUuid,
      current: '3055729675574597004',
      ids: ['3051729675574597004', '3055729675574597004'],
      specs: 1,
      last_partition_id: 1001,
      schema: 1,
    });
  });
});

function withTransform(json: Record<string, unknown>, transform: string): Record<string, unknown> {
  const specs = json['partition-specs'] as { fields: { transform: string }[] }[];
  const first = specs[0]?.fields[0];
  if (first) first.transform = transform;
  return json;
}
