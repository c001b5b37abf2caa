/**
 * Keeps a table's manifest list short (Iceberg's `commit.manifest-merge.enabled` behaviour):
 * a fast append adds one manifest per commit, so after many commits every reader would open
 * hundreds of tiny manifests. Once a snapshot would list more than
 * `commit.manifest.min-count-to-merge` manifests, the small ones of each spec are packed into
 * manifests of up to `commit.manifest.target-size-bytes`. Merged entries become EXISTING with
 * the sequence numbers and snapshot ids they inherited, so no file changes its age.
 */
import { mapInFlight } from '../../inFlight.js';
import type { ObjectStore } from '../../store/objectStore.js';
import { type ManifestEntry, ManifestEntryStatus } from '../spec/dataFile.js';
import { inheritFromManifestFile, readManifest, writeManifest } from '../spec/manifest.js';
import {
  ManifestContentType,
  type ManifestFile,
  type ManifestFileInput,
  describeManifest,
} from '../spec/manifestList.js';
import { schemaById, specById, type TableMetadata } from '../spec/tableMetadata.js';
import { keyOfUri, newManifestKey, type TableRef, uriInTable } from '../tableLocation.js';

export const MIN_COUNT_TO_MERGE = 'commit.manifest.min-count-to-merge';
export const TARGET_SIZE_BYTES = 'commit.manifest.target-size-bytes';
export const MERGE_ENABLED = 'commit.manifest-merge.enabled';

export interface MergePolicy {
  enabled: boolean;
  minCountToMerge: number;
  targetSizeBytes: number;
}

/** The table's merge settings, with Iceberg's defaults (100 manifests, 8 MiB). */
export function mergePolicy(properties: Record<string, string>): MergePolicy {
  const int = (key: string, fallback: number) => {
    const value = Number.parseInt(properties[key] ?? '', 10);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    enabled: (properties[MERGE_ENABLED] ?? 'true').toLowerCase() !== 'false',
    minCountToMerge: int(MIN_COUNT_TO_MERGE, 100),
    targetSizeBytes: int(TARGET_SIZE_BYTES, 8 * 1024 * 1024),
  };
}

export interface MergeInput {
  store: ObjectStore;
  table: TableRef;
  metadata: TableMetadata;
  /** The new snapshot, which owns the merged manifests. */
  snapshotId: bigint;
  /** Manifests carried over from the parent snapshot. */
  carried: ManifestFile[];
  /** Manifests this commit adds (counted, never merged: their entries inherit this commit's numbers). */
  addedCount: number;
  policy: MergePolicy;
}

/** The carried manifests after merging: unchanged when the list is short enough. */
export async function mergeManifests(input: MergeInput): Promise<ManifestFileInput[]> {
  const { carried, policy } = input;
  if (!policy.enabled || carried.length + input.addedCount <= policy.minCountToMerge) return carried;
  const result: ManifestFileInput[] = [];
  for (const bin of packBins(carried, policy.targetSizeBytes)) {
    if (bin.length === 1) result.push(bin[0]!);
    else result.push(await mergeBin(input, bin));
  }
  return result;
}

/**
 * Small data manifests of the same spec, in list order, packed into bins of at most the target
 * size; large manifests and delete manifests stay single.
 */
function packBins(manifests: ManifestFile[], targetSize: number): ManifestFile[][] {
  const bins: ManifestFile[][] = [];
  const open = new Map<number, { bin: ManifestFile[]; size: number }>();
  for (const manifest of manifests) {
    if (manifest.content !== ManifestContentType.DATA || manifest.manifestLength >= targetSize) {
      bins.push([manifest]);
      continue;
    }
    let current = open.get(manifest.partitionSpecId);
    if (!current || current.size + manifest.manifestLength > targetSize) {
      current = { bin: [], size: 0 };
      open.set(manifest.partitionSpecId, current);
      bins.push(current.bin);
    }
    current.bin.push(manifest);
    current.size += manifest.manifestLength;
  }
  return bins;
}

/** Manifest reads of one merge in flight at once. */
const MANIFEST_READS_IN_FLIGHT = 16;

async function mergeBin(input: MergeInput, bin: ManifestFile[]): Promise<ManifestFileInput> {
  const { store, table, metadata, snapshotId } = input;
  const entries: ManifestEntry[] = [];
  // A merge reads up to `min-count-to-merge` (100) manifests: one after another, that is seconds
  // of round trips to S3 inside a commit; side by side, a few.
  const bodies = await mapInFlight(bin, MANIFEST_READS_IN_FLIGHT, (manifest) =>
    store.get(keyOfUri(store, manifest.manifestPath)),
  );
  for (const [i, manifest] of bin.entries()) {
    const read = readManifest(bodies[i]!);
    for (const entry of inheritFromManifestFile(read.entries, manifest)) {
      // Files deleted by an earlier snapshot are no longer live: a merged manifest drops them.
      if (entry.status === ManifestEntryStatus.DELETED) continue;
      entries.push({ ...entry, status: ManifestEntryStatus.EXISTING });
    }
  }
  const spec = specById(metadata, bin[0]!.partitionSpecId);
  const schema = schemaById(metadata, metadata.currentSchemaId);
  const bytes = writeManifest({ schema, spec, entries, snapshotId });
  const key = newManifestKey(table);
  await store.put(key, bytes, { contentType: 'application/octet-stream' });
  return describeManifest({
    manifestPath: uriInTable(table, key),
    manifestLength: bytes.length,
    schema,
    spec,
    snapshotId,
    entries,
  });
}
