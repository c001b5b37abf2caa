/**
 * Snapshot expiration (format spec, "Snapshot Retention Policy"; the snapshotter's step 2).
 * A snapshot is kept when a ref points at it, when it is one of the newest
 * `min-snapshots-to-keep` of a branch's ancestry, or when it is younger than the branch's
 * `max-snapshot-age-ms`; snapshots on no branch's ancestry and not tagged go once older than
 * the table's max age. Tags and branches older than their `max-ref-age-ms` are not removed
 * here (astha creates none besides `main`); their snapshots are kept.
 *
 * The decision is pure (`snapshotsToExpire`); `expireSnapshots` commits it with `commitTable`,
 * recomputing it on every retry so a concurrent append never loses its new snapshot.
 */
import type { CommitClock, CommitLimits } from '../iceberg/commit/commitBackoff.js';
import { systemCommitClock } from '../iceberg/commit/commitBackoff.js';
import { commitTable } from '../iceberg/commit/commitTable.js';
import type { LoadedTable } from '../iceberg/commit/loadTable.js';
import type { Snapshot } from '../iceberg/spec/snapshot.js';
import type { TableMetadata } from '../iceberg/spec/tableMetadata.js';
import type { TableRef } from '../iceberg/tableLocation.js';
import type { ObjectStore } from '../store/objectStore.js';

export const MAX_SNAPSHOT_AGE_MS = 'history.expire.max-snapshot-age-ms';
export const MIN_SNAPSHOTS_TO_KEEP = 'history.expire.min-snapshots-to-keep';
export const DEFAULT_MAX_SNAPSHOT_AGE_MS = 5 * 24 * 60 * 60 * 1000;
export const DEFAULT_MIN_SNAPSHOTS_TO_KEEP = 1;

export interface RetentionSettings {
  maxSnapshotAgeMs: number;
  minSnapshotsToKeep: number;
}

/** The table-level retention settings, defaults for absent or unusable values. */
export function retentionFromProperties(properties: Readonly<Record<string, string>>): RetentionSettings {
  const read = (key: string, fallback: number, min: number) => {
    const value = Number(properties[key]);
    return properties[key] !== undefined && Number.isSafeInteger(value) && value >= min ? value : fallback;
  };
  return {
    maxSnapshotAgeMs: read(MAX_SNAPSHOT_AGE_MS, DEFAULT_MAX_SNAPSHOT_AGE_MS, 0),
    // At least one: the current snapshot always stays.
    minSnapshotsToKeep: read(MIN_SNAPSHOTS_TO_KEEP, DEFAULT_MIN_SNAPSHOTS_TO_KEEP, 1),
  };
}

/** Ids of the snapshots that retention lets go at `nowMs`, oldest first. */
export function snapshotsToExpire(metadata: TableMetadata, nowMs: number): bigint[] {
  const table = retentionFromProperties(metadata.properties);
  const byId = new Map(metadata.snapshots.map((s) => [s.snapshotId, s]));
  const retained = new Set<bigint>();
  for (const ref of Object.values(metadata.refs)) {
    retained.add(ref.snapshotId);
    if (ref.type !== 'branch') continue;
    const minKeep = ref.minSnapshotsToKeep ?? table.minSnapshotsToKeep;
    const maxAgeMs = ref.maxSnapshotAgeMs ?? table.maxSnapshotAgeMs;
    let kept = 0;
    for (const snapshot of ancestry(byId, ref.snapshotId)) {
      if (kept < minKeep || nowMs - snapshot.timestampMs < maxAgeMs) retained.add(snapshot.snapshotId);
      kept++;
    }
  }
  return metadata.snapshots
    .filter((s) => !retained.has(s.snapshotId) && nowMs - s.timestampMs >= table.maxSnapshotAgeMs)
    .sort((a, b) => a.timestampMs - b.timestampMs || a.sequenceNumber - b.sequenceNumber)
    .map((s) => s.snapshotId);
}

/** A branch head and its parents, newest first, until a parent is missing (expired earlier). */
function* ancestry(byId: ReadonlyMap<bigint, Snapshot>, head: bigint): Generator<Snapshot> {
  const seen = new Set<bigint>();
  let next: bigint | undefined = head;
  while (next !== undefined && !seen.has(next)) {
    seen.add(next);
    const snapshot = byId.get(next);
    if (!snapshot) return;
    yield snapshot;
    next = snapshot.parentSnapshotId;
  }
}

export interface ExpireOptions {
  nowMs?: number;
  knownVersion?: number | null;
  clock?: CommitClock;
  limits?: Partial<CommitLimits>;
}

export interface ExpireResult {
  /** The snapshots the committed version no longer holds (empty: nothing was due, no commit). */
  expired: Snapshot[];
  /** The version after expiration (the base looked at when nothing was due). */
  table: LoadedTable;
  committed: boolean;
}

/** Commits a `remove-snapshots` of every snapshot due, through the conditional-write protocol. */
export async function expireSnapshots(
  store: ObjectStore,
  table: TableRef,
  options: ExpireOptions = {},
): Promise<ExpireResult> {
  const clock = options.clock ?? systemCommitClock;
  let expired: Snapshot[] = [];
  const result = await commitTable(
    store,
    table,
    (base) => {
      const ids = snapshotsToExpire(base.metadata, options.nowMs ?? clock.now());
      if (ids.length === 0) return 'noop';
      const due = new Set(ids);
      expired = base.metadata.snapshots.filter((s) => due.has(s.snapshotId));
      // No requirement on main: the ids were chosen from this base, and a retry chooses again.
      return { requirements: [], updates: [{ action: 'remove-snapshots', snapshotIds: ids }] };
    },
    {
      clock,
      ...(options.knownVersion !== undefined ? { knownVersion: options.knownVersion } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
    },
  );
  const { committed, attempts: _, ...loaded } = result;
  return { expired: committed ? expired : [], table: loaded, committed };
}
