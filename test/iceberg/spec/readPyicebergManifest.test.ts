import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inheritFromManifestFile, type Manifest, readManifest } from '../../../lib/iceberg/spec/manifest.js';
import { type ManifestList, readManifestList } from '../../../lib/iceberg/spec/manifestList.js';
import { summarizePartitions } from '../../../lib/iceberg/spec/partitionSummary.js';
import { toSingleValue } from '../../../lib/iceberg/spec/singleValue.js';

/** The other direction: manifests PyIceberg wrote (as in tables astha did not create) read by astha. */
const PYTHON = join(process.cwd(), '.venv/bin/python');
const WRITER = join(import.meta.dirname, 'writeWithPyiceberg.py');

describe('reading manifests written by PyIceberg', () => {
  let manifest: Manifest;
  let list: ManifestList;

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'astha-pyiceberg-'));
    const paths = JSON.parse(execFileSync(PYTHON, [WRITER, dir], { encoding: 'utf8' })) as {
      manifest: string;
      list: string;
    };
    manifest = readManifest(readFileSync(paths.manifest));
    list = readManifestList(readFileSync(paths.list));
  });

  it('reads the header: schema, spec, version, content', () => {
    expect(manifest.formatVersion).toBe(2);
    expect(manifest.content).toBe('data');
    expect(manifest.schema.fields.map((f) => [f.id, f.name, f.type])).toEqual([
      [1, 'id', 'long'],
      [2, 'day', 'date'],
      [3, 'region', 'string'],
      [4, 'price', 'decimal(9, 2)'],
    ]);
    expect(manifest.spec.fields.map((f) => [f.fieldId, f.name, f.transform])).toEqual([
      [1000, 'day', 'identity'],
      [1001, 'region', 'identity'],
      [1002, 'id_bucket', 'bucket[4]'],
    ]);
  });

  it('reads entries, partition values and metrics exactly', () => {
    expect(manifest.entries.map((e) => [e.status, e.snapshotId, e.sequenceNumber])).toEqual([
      [1, 9007199254740993n, undefined],
      [1, 9007199254740993n, undefined],
    ]);
    expect(manifest.entries.map((e) => e.dataFile.partition)).toEqual([
      [19000, 'eu', 0],
      [19001, null, 1],
    ]);
    const file = manifest.entries[1]?.dataFile;
    expect(file).toMatchObject({
      filePath: 's3://b/t/data/1.parquet',
      fileFormat: 'PARQUET',
      recordCount: 101,
      fileSizeInBytes: 2001,
    });
    expect(file?.columnSizes).toEqual(
      new Map([
        [1, 10],
        [2, 20],
      ]),
    );
    expect(file?.nullValueCounts).toEqual(new Map([[3, 1]]));
    expect(file?.upperBounds?.get(1)).toEqual(toSingleValue('long', 2n ** 62n));
    expect(file?.splitOffsets).toEqual([4]);
  });

  it('reads the manifest list and applies inheritance', () => {
    expect(list).toMatchObject({
      snapshotId: 9007199254740993n,
      parentSnapshotId: 7777777777777777777n,
      sequenceNumber: 5,
    });
    const listed = list.manifests[0];
    expect(listed).toMatchObject({
      sequenceNumber: 5,
      minSequenceNumber: 5,
      addedFilesCount: 2,
      addedRowsCount: 201,
    });
    const entries = inheritFromManifestFile(
      manifest.entries,
      listed ?? { addedSnapshotId: 0n, sequenceNumber: 0 },
    );
    expect(entries.map((e) => [e.sequenceNumber, e.fileSequenceNumber])).toEqual([
      [5, 5],
      [5, 5],
    ]);
  });

  it("computes the same partition summaries as PyIceberg's writer", () => {
    const ours = summarizePartitions(
      manifest.spec,
      manifest.schema,
      manifest.entries.map((e) => e.dataFile),
    );
    expect(ours).toEqual(list.manifests[0]?.partitions);
  });
});
