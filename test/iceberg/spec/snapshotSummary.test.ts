import { describe, expect, it } from 'vitest';
import type { DataFile } from '../../../lib/iceberg/spec/dataFile.js';
import { buildSnapshotSummary, changesOf } from '../../../lib/iceberg/spec/snapshotSummary.js';

function file(path: string, day: number, records: number, size: number): DataFile {
  return {
    content: 0,
    filePath: path,
    fileFormat: 'PARQUET',
    partition: [day],
    recordCount: records,
    fileSizeInBytes: size,
  };
}

describe('snapshot summaries', () => {
  it('counts an append and starts totals at zero for the first snapshot', () => {
    const changes = changesOf([file('a', 1, 10, 100), file('b', 1, 5, 50), file('c', 2, 1, 7)]);
    expect(buildSnapshotSummary('append', changes, undefined)).toEqual({
      operation: 'append',
      'added-data-files': '3',
      'added-records': '16',
      'added-files-size': '157',
      'changed-partition-count': '2',
      'total-records': '16',
      'total-files-size': '157',
      'total-data-files': '3',
      'total-delete-files': '0',
      'total-position-deletes': '0',
      'total-equality-deletes': '0',
    });
  });

  it("adds to the parent's totals and subtracts removed files", () => {
    const parent = buildSnapshotSummary(
      'append',
      changesOf([file('a', 1, 10, 100), file('b', 2, 5, 50)]),
      undefined,
    );
    const replace = changesOf([file('ab', 1, 15, 140)], [file('a', 1, 10, 100), file('b', 2, 5, 50)]);
    const summary = buildSnapshotSummary('replace', replace, parent, {
      'engine-name': 'astha',
      operation: 'x',
    });
    expect(summary).toMatchObject({
      operation: 'replace',
      'engine-name': 'astha',
      'added-data-files': '1',
      'deleted-data-files': '2',
      'deleted-records': '15',
      'removed-files-size': '150',
      'changed-partition-count': '2',
      'total-records': '15',
      'total-files-size': '140',
      'total-data-files': '1',
    });
  });

  it('leaves out totals the parent did not have', () => {
    const summary = buildSnapshotSummary('append', changesOf([file('a', 1, 1, 1)]), {
      operation: 'append',
      'total-records': '7',
    });
    expect(summary['total-records']).toBe('8');
    expect(summary['total-data-files']).toBeUndefined();
  });
});
