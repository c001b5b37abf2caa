import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DataFile, ManifestEntry } from '../../../lib/iceberg/spec/dataFile.js';
import { writeManifest } from '../../../lib/iceberg/spec/manifest.js';
import {
  describeManifest,
  type ManifestFile,
  readManifestList,
  writeManifestList,
} from '../../../lib/iceberg/spec/manifestList.js';
import { newTableMetadata } from '../../../lib/iceberg/spec/newTableMetadata.js';
import { partitionSpecFor } from '../../../lib/iceberg/spec/partitionSpec.js';
import { toSingleValue } from '../../../lib/iceberg/spec/singleValue.js';
import {
  currentSnapshot,
  serializeTableMetadata,
  type TableMetadata,
} from '../../../lib/iceberg/spec/tableMetadata.js';
import { applyUpdates } from '../../../lib/iceberg/spec/tableMetadataBuilder.js';
import { buildSnapshotSummary, changesOf } from '../../../lib/iceberg/spec/snapshotSummary.js';
import type { Schema } from '../../../lib/iceberg/spec/types.js';

/**
 * The spec model end to end, without the commit protocol: two appends of pyarrow-written
 * Parquet files, every metadata file written by this folder's code, then scanned by
 * PyIceberg with and without a partition filter.
 */
const PYTHON = join(process.cwd(), '.venv/bin/python');
const HELPER = join(import.meta.dirname, 'icebergReaders.py');

interface ParquetFact {
  path: string;
  region: string;
  rows: number;
  size: number;
  min: number;
  max: number;
  offsets: number[];
}

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'region', required: false, type: 'string' },
  ],
};
const spec = partitionSpecFor(schema, [{ column: 'region' }]);

function toDataFile(f: ParquetFact): DataFile {
  return {
    content: 0,
    filePath: f.path,
    fileFormat: 'PARQUET',
    partition: [f.region],
    recordCount: f.rows,
    fileSizeInBytes: f.size,
    valueCounts: new Map([
      [1, f.rows],
      [2, f.rows],
    ]),
    nullValueCounts: new Map([
      [1, 0],
      [2, 0],
    ]),
    lowerBounds: new Map([
      [1, toSingleValue('long', BigInt(f.min))],
      [2, toSingleValue('string', f.region)],
    ]),
    upperBounds: new Map([
      [1, toSingleValue('long', BigInt(f.max))],
      [2, toSingleValue('string', f.region)],
    ]),
    splitOffsets: f.offsets,
  };
}

/** One fast append: a new manifest for `files`, the parent's manifests carried over. */
function append(
  table: TableMetadata,
  dir: string,
  files: DataFile[],
  snapshotId: bigint,
  nowMs: number,
  carried: ManifestFile[],
) {
  const entries: ManifestEntry[] = files.map((dataFile) => ({ status: 1, dataFile }));
  const manifestPath = join(dir, `manifest-${snapshotId}.avro`);
  const manifest = writeManifest({ schema, spec, entries });
  writeFileSync(manifestPath, manifest);
  const parent = currentSnapshot(table);
  const sequenceNumber = table.lastSequenceNumber + 1;
  const listPath = join(dir, `snap-${snapshotId}.avro`);
  const described = describeManifest({
    manifestPath,
    manifestLength: manifest.length,
    schema,
    spec,
    snapshotId,
    entries,
  });
  const list = writeManifestList({
    snapshotId,
    ...(parent ? { parentSnapshotId: parent.snapshotId } : {}),
    sequenceNumber,
    manifests: [described, ...carried],
  });
  writeFileSync(listPath, list);
  const next = applyUpdates(
    table,
    [
      {
        action: 'add-snapshot',
        snapshot: {
          snapshotId,
          ...(parent ? { parentSnapshotId: parent.snapshotId } : {}),
          sequenceNumber,
          timestampMs: nowMs,
          manifestList: listPath,
          summary: buildSnapshotSummary('append', changesOf(files), parent?.summary),
          schemaId: 0,
        },
      },
      { action: 'set-snapshot-ref', refName: 'main', type: 'branch', snapshotId },
    ],
    { nowMs, metadataLocation: join(dir, `v${table.lastSequenceNumber + 1}.metadata.json`) },
  );
  return { next, manifests: readManifestList(list).manifests };
}

describe('a table written by the spec model, read by PyIceberg', () => {
  let result: { pyiceberg: Record<string, number> };
  let table: TableMetadata;

  beforeAll(() => {
    const root = mkdtempSync(join(tmpdir(), 'astha-table-'));
    const data = join(root, 'data');
    const metadata = join(root, 'metadata');
    mkdirSync(data);
    mkdirSync(metadata);
    const facts = JSON.parse(
      execFileSync(PYTHON, [HELPER, 'parquet', data], { encoding: 'utf8' }),
    ) as ParquetFact[];
    const files = facts.map(toDataFile);
    table = newTableMetadata({
      location: root,
      schema,
      spec,
      uuid: '3b7a3e1c-4f7e-4a51-9a0e-5d2c7f1b9e01',
      nowMs: 1_700_000_000_000,
    });
    writeFileSync(join(metadata, 'v1.metadata.json'), serializeTableMetadata(table));
    const first = append(table, metadata, files.slice(0, 2), 9_007_199_254_740_993n, 1_700_000_001_000, []);
    writeFileSync(join(metadata, 'v2.metadata.json'), serializeTableMetadata(first.next));
    const second = append(
      first.next,
      metadata,
      files.slice(2),
      8_000_000_000_000_000_002n,
      1_700_000_002_000,
      first.manifests,
    );
    table = second.next;
    const last = join(metadata, 'v3.metadata.json');
    writeFileSync(last, serializeTableMetadata(table));
    result = JSON.parse(execFileSync(PYTHON, [HELPER, 'scan', last], { encoding: 'utf8' }));
  });

  it('keeps totals across the two snapshots', () => {
    expect(currentSnapshot(table)?.summary).toMatchObject({
      'total-records': '160',
      'total-data-files': '3',
    });
    expect(table.metadataLog.map((e) => e.metadataFile.split('/').at(-1))).toEqual([
      'v1.metadata.json',
      'v2.metadata.json',
    ]);
  });

  it('PyIceberg scans every row once and prunes by partition', () => {
    expect(result.pyiceberg).toEqual({
      rows: 160,
      sum: 12_720,
      files: 3,
      filtered_rows: 10,
      filtered_files: 1,
    });
  });
});
