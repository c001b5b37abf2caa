/**
 * Manifest rewrite: when the current snapshot lists many small data manifests (each append adds
 * one; replaces and deletes leave rewritten fragments), they are packed into manifests of up to
 * `commit.manifest.target-size-bytes` in a `replace` snapshot that changes no data file (what
 * Iceberg's RewriteManifests action commits). Entries keep their snapshot ids and sequence
 * numbers as EXISTING, so time travel and incremental reads see no difference. The change is
 * recomputed from each fresh base after a lost race, so it never undoes a concurrent commit.
 */
import { listedManifests, putManifestList } from '../iceberg/commit/manifestLists.js';
import { type CommitOptions, commitTable } from '../iceberg/commit/commitTable.js';
import { systemCommitClock } from '../iceberg/commit/commitBackoff.js';
import type { LoadedTable } from '../iceberg/commit/loadTable.js';
import { mergeManifests, mergePolicy } from '../iceberg/commit/mergeManifests.js';
import { ManifestContentType, type ManifestFile, writeManifestList } from '../iceberg/spec/manifestList.js';
import { MAIN_BRANCH, newSnapshotId, type Snapshot } from '../iceberg/spec/snapshot.js';
import { buildSnapshotSummary, changesOf } from '../iceberg/spec/snapshotSummary.js';
import { currentSnapshot, snapshotById } from '../iceberg/spec/tableMetadata.js';
import { newManifestListKey, type TableRef, uriInTable } from '../iceberg/tableLocation.js';
import type { ObjectStore } from '../store/objectStore.js';

export const MANIFEST_MIN_COUNT = 'astha.compaction.manifest-min-count';
export const REWRITE_MANIFESTS_SUMMARY = { 'astha.operation': 'rewrite-manifests' } as const;

/** Small data manifests at which a rewrite pays off (default 16). */
export function manifestMinCount(properties: Readonly<Record<string, string>>): number {
  const value = Number.parseInt(properties[MANIFEST_MIN_COUNT] ?? '', 10);
  return Number.isFinite(value) && value > 1 ? value : 16;
}

/** The data manifests worth merging: under 75 % of the table's target manifest size. */
export function smallManifests(
  list: readonly ManifestFile[],
  properties: Readonly<Record<string, string>>,
): ManifestFile[] {
  const { targetSizeBytes } = mergePolicy(properties);
  return list.filter(
    (m) => m.content === ManifestContentType.DATA && m.manifestLength < targetSizeBytes * 0.75,
  );
}

export interface ManifestRewrite {
  snapshot: Snapshot;
  commit: LoadedTable;
  replaced: number;
  created: number;
}

/** Rewrites the manifests when enough are small; undefined when there was nothing to do. */
export async function rewriteManifests(
  store: ObjectStore,
  table: TableRef,
  options: CommitOptions & {
    minCount: number;
    /** The table's properties (the registry's; the table's own copy may lag). */
    properties: Readonly<Record<string, string>>;
  },
): Promise<ManifestRewrite | undefined> {
  const snapshotId = newSnapshotId();
  let counts = { replaced: 0, created: 0 };
  const commit = await commitTable(
    store,
    table,
    async (fresh) => {
      if (snapshotById(fresh.metadata, snapshotId)) return 'noop';
      const parent = currentSnapshot(fresh.metadata);
      if (!parent) return 'noop';
      const policy = mergePolicy(options.properties);
      const list = await listedManifests(store, parent.manifestList);
      if (smallManifests(list, options.properties).length < options.minCount) return 'noop';
      const merged = await mergeManifests({
        store,
        table,
        metadata: fresh.metadata,
        snapshotId,
        carried: list,
        addedCount: 0,
        policy: { ...policy, enabled: true, minCountToMerge: 0 },
      });
      const kept = new Set(list.map((m) => m.manifestPath));
      const created = merged.filter((m) => !kept.has(m.manifestPath)).length;
      counts = { replaced: list.length - (merged.length - created), created };
      const sequenceNumber = fresh.metadata.lastSequenceNumber + 1;
      const listKey = newManifestListKey(table, snapshotId);
      const listBytes = writeManifestList({
        snapshotId,
        parentSnapshotId: parent.snapshotId,
        sequenceNumber,
        manifests: merged,
      });
      await putManifestList(store, listKey, listBytes);
      const snapshot: Snapshot = {
        snapshotId,
        parentSnapshotId: parent.snapshotId,
        sequenceNumber,
        timestampMs: Math.max((options.clock ?? systemCommitClock).now(), fresh.metadata.lastUpdatedMs),
        manifestList: uriInTable(table, listKey),
        summary: buildSnapshotSummary('replace', changesOf([]), parent.summary, {
          ...REWRITE_MANIFESTS_SUMMARY,
          'manifests-created': String(counts.created),
          'manifests-replaced': String(counts.replaced),
          'manifests-kept': String(merged.length - counts.created),
        }),
        schemaId: fresh.metadata.currentSchemaId,
      };
      return {
        updates: [
          { action: 'add-snapshot', snapshot },
          { action: 'set-snapshot-ref', refName: MAIN_BRANCH, type: 'branch', snapshotId },
        ],
        requirements: [{ type: 'assert-ref-snapshot-id', ref: MAIN_BRANCH, snapshotId: parent.snapshotId }],
      };
    },
    options,
  );
  const snapshot = commit.committed ? snapshotById(commit.metadata, snapshotId) : undefined;
  return snapshot ? { snapshot, commit, ...counts } : undefined;
}
