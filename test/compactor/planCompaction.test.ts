import { describe, expect, it } from 'vitest';
import { compactionPolicy, planCompaction } from '../../lib/compactor/planCompaction.js';
import type { LiveFile } from '../../lib/registry/compactionState.js';
import { liveFile } from './liveFile.js';

const MiB = 1024 * 1024;
let nextId = 1;
function file(partitionPath: string, size: number): LiveFile {
  return liveFile(nextId++, partitionPath, size);
}

describe('compactionPolicy', () => {
  it("uses Iceberg's defaults and the table's properties", () => {
    expect(compactionPolicy({})).toEqual({
      enabled: true,
      targetFileSizeBytes: 128 * MiB,
      minInputFiles: 5,
      smallFileFraction: 0.75,
      mergeRatio: 4,
    });
    expect(
      compactionPolicy({
        'write.target-file-size-bytes': '1000',
        'astha.compaction.min-input-files': '3',
        'astha.compaction.small-file-fraction': '0.5',
        'astha.compaction.enabled': 'FALSE',
        'astha.compaction.merge-ratio': '2.5',
      }),
    ).toEqual({
      enabled: false,
      targetFileSizeBytes: 1000,
      minInputFiles: 3,
      smallFileFraction: 0.5,
      mergeRatio: 2.5,
    });
    // Nonsense falls back to the defaults; one input is never a compaction.
    expect(
      compactionPolicy({ 'write.target-file-size-bytes': 'x', 'astha.compaction.min-input-files': '1' }),
    ).toMatchObject({ targetFileSizeBytes: 128 * MiB, minInputFiles: 2 });
  });
});

describe('planCompaction', () => {
  const policy = compactionPolicy({ 'write.target-file-size-bytes': String(100 * MiB) });

  it('needs min-input-files small files in one partition; big files are left alone', () => {
    const files = [
      ...Array.from({ length: 4 }, () => file('a=1', MiB)),
      file('a=1', 80 * MiB),
      ...Array.from({ length: 5 }, () => file('a=2', MiB)),
    ];
    const groups = planCompaction(files, policy);
    expect(groups.map((g) => [g.partitionPath, g.files.length, g.bytes / MiB])).toEqual([['a=2', 5, 5]]);
  });

  it('bin-packs in arrival order into groups of at most the target size', () => {
    const files = Array.from({ length: 7 }, () => file('', 40 * MiB));
    const groups = planCompaction(files, policy);
    expect(groups.map((g) => g.files.map((f) => f.id))).toEqual([
      [files[0]!.id, files[1]!.id],
      [files[2]!.id, files[3]!.id],
      [files[4]!.id, files[5]!.id],
    ]);
    for (const group of groups) expect(group.bytes).toBeLessThanOrEqual(100 * MiB);
  });

  it('leaves a small file much bigger than the smaller ones together until they add up to a quarter of it', () => {
    const output = file('a=1', 40 * MiB); // an earlier compaction's output
    const fresh = Array.from({ length: 5 }, () => file('a=1', MiB));
    const [only] = planCompaction([output, ...fresh], policy);
    expect(only?.files.map((f) => f.id)).toEqual(fresh.map((f) => f.id));
    // Ten more: 15 MiB of smaller files, 40 MiB is within 4x of them, so the output joins.
    const more = Array.from({ length: 10 }, () => file('a=1', MiB));
    const groups = planCompaction([output, ...fresh, ...more], policy);
    expect(groups.flatMap((g) => g.files.map((f) => f.id)).sort((a, b) => a - b)).toEqual(
      [output, ...fresh, ...more].map((f) => f.id).sort((a, b) => a - b),
    );
    // Without the rule (a huge ratio) the output is rewritten with every handful of new files.
    const eager = compactionPolicy({
      'write.target-file-size-bytes': String(100 * MiB),
      'astha.compaction.merge-ratio': '1000',
    });
    expect(planCompaction([output, ...fresh], eager)[0]?.files).toHaveLength(6);
  });

  it('plans nothing when compaction is disabled', () => {
    const files = Array.from({ length: 10 }, () => file('', MiB));
    expect(planCompaction(files, { ...policy, enabled: false })).toEqual([]);
  });
});
