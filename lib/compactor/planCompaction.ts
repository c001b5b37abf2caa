/**
 * Which files to compact (pure): per partition, once at least `min-input-files` live files are
 * smaller than a fraction of the target file size, the small files are bin-packed, in the order
 * they arrived, into rewrite groups of at most the target size. A group of one file would only
 * copy it, so it is dropped.
 *
 * A small file much bigger than all the smaller ones together waits (`worthMerging`): a
 * compactor running on every commit would otherwise rewrite its own growing output with each
 * handful of new files, the whole partition every few seconds under a steady stream. It joins
 * once the smaller files add up to 1/`astha.compaction.merge-ratio` (4) of it, so each byte is
 * rewritten a number of times that grows with the logarithm of the partition's size, not with
 * the size itself.
 */
import type { LiveFile } from '../registry/compactionState.js';

export const TARGET_FILE_SIZE = 'write.target-file-size-bytes';
export const MIN_INPUT_FILES = 'astha.compaction.min-input-files';
export const SMALL_FILE_FRACTION = 'astha.compaction.small-file-fraction';
export const COMPACTION_ENABLED = 'astha.compaction.enabled';
export const MERGE_RATIO = 'astha.compaction.merge-ratio';

export interface CompactionPolicy {
  enabled: boolean;
  targetFileSizeBytes: number;
  minInputFiles: number;
  /** A file is small below `smallFileFraction * targetFileSizeBytes`. */
  smallFileFraction: number;
  /** A small file joins once the smaller ones add up to 1/mergeRatio of it (see worthMerging). */
  mergeRatio: number;
}

/** Iceberg's target (128 MiB) and RewriteDataFiles' defaults (5 inputs, 75 % of target). */
export function compactionPolicy(properties: Readonly<Record<string, string>>): CompactionPolicy {
  const positive = (key: string, fallback: number, parse: (s: string) => number) => {
    const value = parse(properties[key] ?? '');
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    enabled: (properties[COMPACTION_ENABLED] ?? 'true').toLowerCase() !== 'false',
    targetFileSizeBytes: positive(TARGET_FILE_SIZE, 128 * 1024 * 1024, (s) => Number.parseInt(s, 10)),
    minInputFiles: Math.max(
      2,
      positive(MIN_INPUT_FILES, 5, (s) => Number.parseInt(s, 10)),
    ),
    smallFileFraction: Math.min(1, positive(SMALL_FILE_FRACTION, 0.75, Number.parseFloat)),
    mergeRatio: positive(MERGE_RATIO, 4, Number.parseFloat),
  };
}

export interface RewriteGroup {
  partitionPath: string;
  files: LiveFile[];
  bytes: number;
  rows: number;
}

export function planCompaction(files: readonly LiveFile[], policy: CompactionPolicy): RewriteGroup[] {
  if (!policy.enabled) return [];
  const smallBelow = policy.smallFileFraction * policy.targetFileSizeBytes;
  const byPartition = new Map<string, LiveFile[]>();
  for (const file of files) {
    if (file.size >= smallBelow) continue;
    const list = byPartition.get(file.partitionPath) ?? [];
    list.push(file);
    byPartition.set(file.partitionPath, list);
  }
  const groups: RewriteGroup[] = [];
  for (const [partitionPath, candidates] of byPartition) {
    const small = worthMerging(candidates, policy.mergeRatio);
    if (small.length < policy.minInputFiles) continue;
    groups.push(...packGroups(partitionPath, small, policy.targetFileSizeBytes));
  }
  return groups;
}

/**
 * The candidates worth rewriting now, in their original (arrival) order: from the smallest up,
 * a file joins when it is at most `ratio` times the smaller ones together.
 */
function worthMerging(files: readonly LiveFile[], ratio: number): LiveFile[] {
  const bySize = [...files].sort((a, b) => a.size - b.size);
  const kept = new Set<LiveFile>();
  let smaller = 0;
  for (const file of bySize) {
    if (kept.size > 0 && file.size > ratio * smaller) break;
    kept.add(file);
    smaller += file.size;
  }
  return files.filter((file) => kept.has(file));
}

/** Next-fit packing in arrival order: neighbouring files tend to hold neighbouring data. */
function packGroups(partitionPath: string, files: LiveFile[], target: number): RewriteGroup[] {
  const groups: RewriteGroup[] = [];
  let current: RewriteGroup | undefined;
  for (const file of files) {
    if (!current || current.bytes + file.size > target) {
      current = { partitionPath, files: [], bytes: 0, rows: 0 };
      groups.push(current);
    }
    current.files.push(file);
    current.bytes += file.size;
    current.rows += file.rowCount;
  }
  return groups.filter((g) => g.files.length > 1);
}
