import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IcebergError } from '../../../lib/iceberg/icebergError.js';
import { decodeContainer } from '../../../lib/iceberg/spec/avroContainer.js';
import type { DataFile, ManifestEntry } from '../../../lib/iceberg/spec/dataFile.js';
import { inheritFromManifestFile, readManifest, writeManifest } from '../../../lib/iceberg/spec/manifest.js';
import {
  describeManifest,
  readManifestList,
  writeManifestList,
} from '../../../lib/iceberg/spec/manifestList.js';
import { partitionSpecFor, UNPARTITIONED } from '../../../lib/iceberg/spec/partitionSpec.js';
import { toSingleValue } from '../../../lib/iceberg/spec/singleValue.js';
import type { Schema } from '../../../lib/iceberg/spec/types.js';

const PYTHON = join(process.cwd(), '.venv/bin/python');
const READER = join(import.meta.dirname, 'readWithPyiceberg.py');

const SNAPSHOT_ID = 9_007_199_254_740_993n; // 2^53 + 1
const PARENT_ID = 7_777_777_777_777_777_777n;

const schema: Schema = {
  type: 'struct',
  'schema-id': 3,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'day', required: false, type: 'date' },
    { id: 3, name: 'region', required: false, type: 'string' },
    { id: 4, name: 'price', required: false, type: 'decimal(9,2)' },
    { id: 5, name: 'at', required: false, type: 'timestamptz' },
    { id: 6, name: 'flag', required: false, type: 'boolean' },
    { id: 7, name: 'key', required: false, type: 'uuid' },
    { id: 8, name: 'code', required: false, type: 'fixed[3]' },
    { id: 9, name: 'blob', required: false, type: 'binary' },
    { id: 10, name: 'n-1', required: false, type: 'int' },
    { id: 11, name: 'score', required: false, type: 'double' },
  ],
};

const spec = partitionSpecFor(schema, [
  { column: 'id' },
  { column: 'day' },
  { column: 'region' },
  { column: 'price' },
  { column: 'at' },
  { column: 'flag' },
  { column: 'key' },
  { column: 'code' },
  { column: 'blob' },
  { column: 'n-1' },
  { column: 'at', transform: 'day' },
  { column: 'id', transform: 'bucket[16]' },
]);

function dataFile(i: number, partition: DataFile['partition']): DataFile {
  return {
    content: 0,
    filePath: `s3://bucket/wh/db/t/data/file-${i}.parquet`,
    fileFormat: 'PARQUET',
    partition,
    recordCount: 1000 + i,
    fileSizeInBytes: 4096 * (i + 1),
    columnSizes: new Map([
      [1, 800 + i],
      [3, 120],
    ]),
    valueCounts: new Map([
      [1, 1000 + i],
      [3, 1000 + i],
    ]),
    nullValueCounts: new Map([
      [1, 0],
      [3, i],
    ]),
    nanValueCounts: new Map([[11, 2]]),
    lowerBounds: new Map([
      [1, toSingleValue('long', 10n * BigInt(i))],
      [3, toSingleValue('string', 'aa')],
    ]),
    upperBounds: new Map([
      [1, toSingleValue('long', 2n ** 62n + BigInt(i))],
      [3, toSingleValue('string', 'zz')],
    ]),
    splitOffsets: [4, 1_000_000 + i],
    sortOrderId: 0,
  };
}

const files: DataFile[] = [
  dataFile(0, [
    5_000_000_000n,
    19_000,
    'eu',
    12_345n,
    1_700_000_000_000_000n,
    true,
    '0f0e4b8a-1c2d-4e3f-8a9b-0c1d2e3f4a5b',
    new Uint8Array([1, 2, 3]),
    new Uint8Array([0xff]),
    -7,
    19_675,
    3,
  ]),
  dataFile(1, [
    -1n,
    18_000,
    'ünï',
    -99n,
    0n,
    false,
    'ff0e4b8a-1c2d-4e3f-8a9b-0c1d2e3f4a5b',
    new Uint8Array([0, 0, 0]),
    new Uint8Array([]),
    2_000_000_000,
    0,
    15,
  ]),
  dataFile(2, [null, null, null, null, null, null, null, null, null, null, null, null]),
];

function pyiceberg(listPath: string): PyResult {
  return JSON.parse(execFileSync(PYTHON, [READER, listPath], { encoding: 'utf8' })) as PyResult;
}

interface PyResult {
  meta: Record<string, string>;
  field_ids: number[];
  manifests: (Record<string, unknown> & {
    meta: Record<string, string>;
    field_ids: number[];
    entries: Record<string, unknown>[];
  })[];
}

const hex = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? null : `hex:${Buffer.from(bytes).toString('hex')}`;

function writeTable(dir: string) {
  const entries: ManifestEntry[] = files.map((f) => ({ status: 1, dataFile: f }));
  const manifestPath = join(dir, 'm0.avro');
  const manifestBytes = writeManifest({ schema, spec, entries, content: 'data' });
  writeFileSync(manifestPath, manifestBytes);
  const manifest = describeManifest({
    manifestPath,
    manifestLength: manifestBytes.length,
    schema,
    spec,
    snapshotId: SNAPSHOT_ID,
    entries,
  });
  const listPath = join(dir, 'snap.avro');
  const listBytes = writeManifestList({
    snapshotId: SNAPSHOT_ID,
    parentSnapshotId: PARENT_ID,
    sequenceNumber: 7,
    manifests: [manifest],
  });
  writeFileSync(listPath, listBytes);
  return { manifestBytes, listBytes, listPath, manifestPath };
}

describe('manifests and manifest lists, read back by PyIceberg', () => {
  let written: ReturnType<typeof writeTable>;
  let py: PyResult;

  beforeAll(() => {
    written = writeTable(mkdtempSync(join(tmpdir(), 'astha-manifest-')));
    py = pyiceberg(written.listPath);
  });

  it('writes the manifest list metadata and entry fields', () => {
    expect(py.meta).toMatchObject({
      'snapshot-id': '9007199254740993',
      'parent-snapshot-id': '7777777777777777777',
      'sequence-number': '7',
      'format-version': '2',
    });
    expect(py.manifests).toHaveLength(1);
    expect(py.manifests[0]).toMatchObject({
      manifest_path: written.manifestPath,
      manifest_length: String(written.manifestBytes.length),
      actual_length: String(written.manifestBytes.length),
      partition_spec_id: '0',
      content: '0',
      // Fast append: the manifest takes the new snapshot's sequence number.
      sequence_number: '7',
      min_sequence_number: '7',
      added_snapshot_id: '9007199254740993',
      added_files_count: '3',
      existing_files_count: '0',
      deleted_files_count: '0',
      added_rows_count: String(1000 + 1001 + 1002),
      existing_rows_count: '0',
      deleted_rows_count: '0',
    });
  });

  it('writes the manifest header keys', () => {
    const meta = py.manifests[0]?.meta ?? {};
    expect(meta['format-version']).toBe('2');
    expect(meta.content).toBe('data');
    expect(meta['schema-id']).toBe('3');
    expect(meta['partition-spec-id']).toBe('0');
    expect(JSON.parse(meta.schema ?? '')).toMatchObject({
      type: 'struct',
      'schema-id': 3,
      fields: schema.fields,
    });
    expect(JSON.parse(meta['partition-spec'] ?? '')[11]).toEqual({
      name: 'id_bucket_16',
      transform: 'bucket[16]',
      'source-id': 1,
      'field-id': 1011,
    });
  });

  it('entries inherit snapshot id and sequence numbers (written as null)', () => {
    const entries = py.manifests[0]?.entries ?? [];
    expect(entries.map((e) => [e.status, e.snapshot_id, e.sequence_number, e.file_sequence_number])).toEqual([
      ['1', '9007199254740993', '7', '7'],
      ['1', '9007199254740993', '7', '7'],
      ['1', '9007199254740993', '7', '7'],
    ]);
    const raw = readManifest(written.manifestBytes).entries[0];
    expect(raw?.snapshotId).toBeUndefined();
    expect(raw?.sequenceNumber).toBeUndefined();
  });

  it('data file metrics and bounds come back as written', () => {
    const entry = py.manifests[0]?.entries[1] ?? {};
    const f = files[1] as DataFile;
    expect(entry).toMatchObject({
      content: '0',
      file_path: f.filePath,
      file_format: 'PARQUET',
      record_count: '1001',
      file_size_in_bytes: String(4096 * 2),
      column_sizes: { '1': '801', '3': '120' },
      value_counts: { '1': '1001', '3': '1001' },
      null_value_counts: { '1': '0', '3': '1' },
      nan_value_counts: { '11': '2' },
      lower_bounds: { '1': hex(f.lowerBounds?.get(1)), '3': 'hex:6161' },
      upper_bounds: { '1': hex(toSingleValue('long', 2n ** 62n + 1n)), '3': 'hex:7a7a' },
      split_offsets: ['4', '1000001'],
      sort_order_id: '0',
    });
  });

  it('partition values come back typed by the partition spec', () => {
    const partitions = (py.manifests[0]?.entries ?? []).map((e) => e.partition as unknown[]);
    expect(partitions[0]).toEqual([
      '5000000000',
      '19000',
      'eu',
      'Decimal:123.45',
      '1700000000000000',
      true,
      'UUID:0f0e4b8a-1c2d-4e3f-8a9b-0c1d2e3f4a5b',
      'hex:010203',
      'hex:ff',
      '-7',
      '19675',
      '3',
    ]);
    expect(partitions[1]?.slice(0, 4)).toEqual(['-1', '18000', 'ünï', 'Decimal:-0.99']);
    expect(partitions[2]).toEqual(Array(12).fill(null));
  });

  it('partition summaries carry nulls and single-value bounds', () => {
    const summaries = (py.manifests[0]?.partitions ?? []) as Record<string, unknown>[];
    expect(summaries).toHaveLength(12);
    expect(summaries[0]).toEqual({
      contains_null: true,
      contains_nan: false,
      lower_bound: hex(toSingleValue('long', -1n)),
      upper_bound: hex(toSingleValue('long', 5_000_000_000n)),
    });
    // Strings compare by UTF-8 bytes: 'ünï' (0xc3...) sorts after 'eu'.
    expect(summaries[2]).toMatchObject({
      lower_bound: 'hex:6575',
      upper_bound: hex(toSingleValue('string', 'ünï')),
    });
    expect(summaries[3]).toMatchObject({
      lower_bound: hex(toSingleValue('decimal(9,2)', -99n)),
      upper_bound: hex(toSingleValue('decimal(9,2)', 12_345n)),
    });
    expect(summaries[5]).toMatchObject({ lower_bound: 'hex:00', upper_bound: 'hex:01' });
  });

  it('reads its own manifest and manifest list back identically', () => {
    const manifest = readManifest(written.manifestBytes);
    expect(manifest.formatVersion).toBe(2);
    expect(manifest.content).toBe('data');
    expect(manifest.spec).toEqual(spec);
    expect(manifest.schema).toEqual(schema);
    expect(manifest.entries.map((e) => e.dataFile)).toEqual(files);
    const list = readManifestList(written.listBytes);
    expect(list).toMatchObject({
      snapshotId: SNAPSHOT_ID,
      parentSnapshotId: PARENT_ID,
      sequenceNumber: 7,
      formatVersion: 2,
    });
    const listed = list.manifests[0];
    expect(listed).toMatchObject({
      sequenceNumber: 7,
      minSequenceNumber: 7,
      addedSnapshotId: SNAPSHOT_ID,
      addedFilesCount: 3,
    });
    const inherited = inheritFromManifestFile(
      manifest.entries,
      listed ?? { addedSnapshotId: 0n, sequenceNumber: 0 },
    );
    expect(inherited[0]).toMatchObject({ snapshotId: SNAPSHOT_ID, sequenceNumber: 7, fileSequenceNumber: 7 });
  });

  it('PyIceberg finds every field id of the spec in the Avro schemas', () => {
    const dataFileIds = [
      100, 101, 102, 103, 104, 108, 109, 110, 117, 118, 119, 120, 121, 122, 125, 126, 127, 128, 129, 130,
    ];
    const moreIds = [131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 143];
    const partitionIds = Array.from({ length: 12 }, (_, i) => 1000 + i);
    expect(py.manifests[0]?.field_ids).toEqual([0, 1, 2, 3, 4, ...dataFileIds, ...moreIds, ...partitionIds]);
    const listIds = [
      500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 510, 511, 512, 513, 514, 515, 516, 517, 518, 519,
    ];
    expect(py.field_ids).toEqual(listIds);
  });

  it('embeds field-id and element-id in the Avro schema', () => {
    const entrySchema = JSON.stringify(decodeContainer(written.manifestBytes).schema);
    for (const id of [
      0, 1, 2, 3, 4, 100, 101, 102, 103, 104, 108, 117, 118, 125, 126, 127, 134, 137, 140, 1000, 1011,
    ]) {
      expect(entrySchema).toContain(`"field-id":${id}`);
    }
    expect(entrySchema).toContain('"element-id":133');
    expect(entrySchema).toContain('"name":"k117_v118"');
    expect(entrySchema).toContain('"name":"r102"');
    expect(entrySchema).toContain('"name":"n_x2D1"');
    const listSchema = JSON.stringify(decodeContainer(written.listBytes).schema);
    for (const id of [
      500, 501, 502, 503, 504, 505, 506, 507, 509, 510, 511, 512, 513, 514, 515, 516, 517, 518, 519,
    ]) {
      expect(listSchema).toContain(`"field-id":${id}`);
    }
    expect(listSchema).toContain('"element-id":508');
  });
});

describe('existing entries and codecs', () => {
  it('keeps explicit snapshot ids and sequence numbers of existing entries (null codec)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'astha-manifest-'));
    const entries: ManifestEntry[] = [
      {
        status: 0,
        snapshotId: PARENT_ID,
        sequenceNumber: 3,
        fileSequenceNumber: 3,
        dataFile: { ...dataFile(5, []) },
      },
      { status: 1, dataFile: dataFile(6, []) },
    ];
    const manifestPath = join(dir, 'merged.avro');
    const bytes = writeManifest({
      schema,
      spec: UNPARTITIONED,
      entries,
      snapshotId: SNAPSHOT_ID,
      codec: 'null',
    });
    writeFileSync(manifestPath, bytes);
    const manifest = describeManifest({
      manifestPath,
      manifestLength: bytes.length,
      schema,
      spec: UNPARTITIONED,
      snapshotId: SNAPSHOT_ID,
      entries,
    });
    expect(manifest.minSequenceNumber).toBe(3);
    const listPath = join(dir, 'snap.avro');
    writeFileSync(
      listPath,
      writeManifestList({ snapshotId: SNAPSHOT_ID, sequenceNumber: 4, manifests: [manifest], codec: 'null' }),
    );
    const py = pyiceberg(listPath);
    expect(py.meta['parent-snapshot-id']).toBe('null');
    expect(py.manifests[0]).toMatchObject({
      sequence_number: '4',
      min_sequence_number: '3',
      existing_files_count: '1',
      added_files_count: '1',
      partitions: [],
    });
    expect(py.manifests[0]?.entries.map((e) => [e.status, e.snapshot_id, e.sequence_number])).toEqual([
      ['0', '7777777777777777777', '3'],
      ['1', '9007199254740993', '4'],
    ]);
  });

  it('refuses an existing entry without sequence numbers', () => {
    const entries: ManifestEntry[] = [{ status: 0, dataFile: dataFile(5, []) }];
    expect(() => writeManifest({ schema, spec: UNPARTITIONED, entries })).toThrow(
      /status 0 entries need sequence numbers/,
    );
  });

  it('refuses partition values that do not fit the spec', () => {
    const wrongCount = [{ status: 1 as const, dataFile: dataFile(1, [1n]) }];
    expect(() => writeManifest({ schema, spec, entries: wrongCount })).toThrow(
      /1 partition values for a spec of 12/,
    );
    const wrongType = [{ status: 1 as const, dataFile: dataFile(1, ['x', ...Array(11).fill(null)]) }];
    expect(() => writeManifest({ schema, spec, entries: wrongType })).toThrow(IcebergError);
  });

  it('rejects bytes that are not an Avro file', () => {
    expect(() => readManifest(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(/not an Avro container file/);
    const good = writeManifest({
      schema,
      spec: UNPARTITIONED,
      entries: [{ status: 1, dataFile: dataFile(1, []) }],
    });
    expect(() => readManifest(good.subarray(0, good.length - 20))).toThrow(IcebergError);
  });
});
