/**
 * Snapshot expiration (format spec, "Snapshot Retention Policy"; the snapshotter's step 2):
 *
 * 1. refs other than `main` whose snapshot is older than their `max-ref-age-ms` (default the
 *    table's `history.expire.max-ref-age-ms`, default never) are removed;
 * 2. every remaining ref's snapshot is kept;
 * 3. each remaining branch keeps its ancestors while they are among its newest
 *    `min-snapshots-to-keep` or younger than its `max-snapshot-age-ms` (the branch's own
 *    settings, else the table's);
 * 4. the rest goes: ancestors of a remaining branch that step 3 did not keep, and snapshots on
 *    no remaining branch's ancestry (nor tagged) once older than the table's max age (Java's
 *    rule for unreferenced snapshots, so a staged snapshot is not dropped the moment it is made).
 *
 * astha adds a ceiling to step 3: a branch keeps at most `astha.history.max-snapshots` ancestors
 * (default 500; never fewer than `min-snapshots-to-keep`), however young. A table committing
 * every second would otherwise carry 5 days of snapshots (~432,000, hundreds of MB of
 * metadata.json); at ~700 bytes a snapshot the default keeps metadata.json near 350 KiB.
 * Appends apply the ceiling in their own commit (`snapshotsOverCap`), so it holds between
 * maintenance runs; `keep` protects snapshots an interrupted commit may still have to record.
 *
 * The decision is pure (`expirationPlan`); `expireSnapshots` commits it with `commitTable`,
 * recomputing it on every retry so a concurrent append never loses its new snapshot, and
 * `previewExpiration` applies it in memory for a dry run.
 */
import type { CommitClock, CommitLimits } from '../iceberg/commit/commitBackoff.js';
import { systemCommitClock } from '../iceberg/commit/commitBackoff.js';
import { commitTable } from '../iceberg/commit/commitTable.js';
import type { LoadedTable } from '../iceberg/commit/loadTable.js';
import { MAIN_BRANCH, type Snapshot } from '../iceberg/spec/snapshot.js';
import type { TableMetadata } from '../iceberg/spec/tableMetadata.js';
import { applyUpdates } from '../iceberg/spec/tableMetadataBuilder.js';
import type { TableUpdate } from '../iceberg/spec/tableUpdate.js';
import { metadataUri, type TableRef } from '../iceberg/tableLocation.js';
import type { ObjectStore } from '../store/objectStore.js';

export const MAX_SNAPSHOT_AGE_MS = 'history.expire.max-snapshot-age-ms';
export const MIN_SNAPSHOTS_TO_KEEP = 'history.expire.min-snapshots-to-keep';
export const MAX_REF_AGE_MS = 'history.expire.max-ref-age-ms';
export const DEFAULT_MAX_SNAPSHOT_AGE_MS = 5 * 24 * 60 * 60 * 1000;
export const DEFAULT_MIN_SNAPSHOTS_TO_KEEP = 1;
export const MAX_SNAPSHOTS = 'astha.history.max-snapshots';
export const DEFAULT_MAX_SNAPSHOTS = 500;

export interface RetentionSettings {
  maxSnapshotAgeMs: number;
  minSnapshotsToKeep: number;
  /** `Infinity` (the default): refs never expire by age. */
  maxRefAgeMs: number;
  /** Most ancestors a branch keeps, whatever their age (at least `minSnapshotsToKeep` of them). */
  maxSnapshots: number;
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
    maxRefAgeMs: read(MAX_REF_AGE_MS, Number.POSITIVE_INFINITY, 0),
    maxSnapshots: read(MAX_SNAPSHOTS, DEFAULT_MAX_SNAPSHOTS, 1),
  };
}

export interface ExpirationPlan {
  /** Refs (never `main`) older than their max ref age, by name. */
  refsToRemove: string[];
  /** Snapshots retention lets go, oldest first. */
  snapshotIds: bigint[];
}

/**
 * What retention removes from `metadata` at `nowMs`, under `properties` (the registry's, which
 * are the truth; the table's own copy by default); never a snapshot in `keep`.
 */
export function expirationPlan(
  metadata: TableMetadata,
  nowMs: number,
  properties: Readonly<Record<string, string>> = metadata.properties,
  keep: ReadonlySet<bigint> = new Set(),
): ExpirationPlan {
  const table = retentionFromProperties(properties);
  const byId = new Map(metadata.snapshots.map((s) => [s.snapshotId, s]));
  const refsToRemove: string[] = [];
  const retained = new Set<bigint>(keep);
  // Ancestors of a kept branch and tagged snapshots: what is not in here is unreferenced.
  const referenced = new Set<bigint>();
  for (const [name, ref] of Object.entries(metadata.refs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const target = byId.get(ref.snapshotId);
    const maxRefAgeMs = ref.maxRefAgeMs ?? table.maxRefAgeMs;
    // A ref to a missing snapshot has no age to judge; it is left as it is.
    if (name !== MAIN_BRANCH && target && nowMs - target.timestampMs > maxRefAgeMs) {
      refsToRemove.push(name);
      continue;
    }
    retained.add(ref.snapshotId);
    referenced.add(ref.snapshotId);
    if (ref.type !== 'branch') continue;
    const minKeep = ref.minSnapshotsToKeep ?? table.minSnapshotsToKeep;
    const maxAgeMs = ref.maxSnapshotAgeMs ?? table.maxSnapshotAgeMs;
    const ceiling = Math.max(minKeep, table.maxSnapshots);
    let kept = 0;
    for (const snapshot of ancestry(byId, ref.snapshotId)) {
      referenced.add(snapshot.snapshotId);
      const young = nowMs - snapshot.timestampMs < maxAgeMs;
      if (kept < minKeep || (young && kept < ceiling)) retained.add(snapshot.snapshotId);
      kept++;
    }
  }
  const snapshotIds = metadata.snapshots
    .filter(
      (s) =>
        !retained.has(s.snapshotId) &&
        (referenced.has(s.snapshotId) || nowMs - s.timestampMs >= table.maxSnapshotAgeMs),
    )
    .sort((a, b) => a.timestampMs - b.timestampMs || a.sequenceNumber - b.sequenceNumber)
    .map((s) => s.snapshotId);
  return { refsToRemove, snapshotIds };
}

/**
 * The snapshots the `astha.history.max-snapshots` ceiling alone lets go (no age rule: a time
 * before every snapshot makes them all young and no ref old), oldest first. Appends commit
 * their removal with the new snapshot; the snapshotter's expiration applies the age rules.
 * Nothing goes until the table holds a tenth more than the ceiling, then it is cut back to
 * the ceiling: one removal per ~cap/10 commits, not one per commit.
 */
export function snapshotsOverCap(metadata: TableMetadata, keep: ReadonlySet<bigint> = new Set()): bigint[] {
  const cap = retentionFromProperties(metadata.properties).maxSnapshots;
  if (metadata.snapshots.length <= cap + Math.ceil(cap / 10)) return [];
  return expirationPlan(metadata, Number.NEGATIVE_INFINITY, metadata.properties, keep).snapshotIds;
}

/** Ids of the snapshots that retention lets go at `nowMs`, oldest first. */
export function snapshotsToExpire(metadata: TableMetadata, nowMs: number): bigint[] {
  return expirationPlan(metadata, nowMs).snapshotIds;
}

/** The plan as metadata updates (empty when nothing is due): refs first, then snapshots. */
export function expirationUpdates(plan: ExpirationPlan): TableUpdate[] {
  const updates: TableUpdate[] = plan.refsToRemove.map((refName) => ({
    action: 'remove-snapshot-ref',
    refName,
  }));
  if (plan.snapshotIds.length > 0)
    updates.push({ action: 'remove-snapshots', snapshotIds: plan.snapshotIds });
  return updates;
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
  /** Snapshots that must stay whatever retention says (those of open commit claims). */
  keep?: ReadonlySet<bigint>;
  knownVersion?: number | null;
  clock?: CommitClock;
  limits?: Partial<CommitLimits>;
  /** The table's properties as the registry holds them (default: the table's own copy). */
  properties?: Readonly<Record<string, string>>;
}

export interface ExpireResult {
  /** The snapshots the committed version no longer holds (empty: nothing was due, no commit). */
  expired: Snapshot[];
  /** The refs the committed version no longer holds. */
  removedRefs: string[];
  /** The version after expiration (the base looked at when nothing was due). */
  table: LoadedTable;
  committed: boolean;
}

/** Commits the removal of every ref and snapshot due, through the conditional-write protocol. */
export async function expireSnapshots(
  store: ObjectStore,
  table: TableRef,
  options: ExpireOptions = {},
): Promise<ExpireResult> {
  const clock = options.clock ?? systemCommitClock;
  let expired: Snapshot[] = [];
  let removedRefs: string[] = [];
  const result = await commitTable(
    store,
    table,
    (base) => {
      const plan = expirationPlan(
        base.metadata,
        options.nowMs ?? clock.now(),
        options.properties,
        options.keep,
      );
      const updates = expirationUpdates(plan);
      if (updates.length === 0) return 'noop';
      expired = expiredSnapshots(base.metadata, plan);
      removedRefs = plan.refsToRemove;
      // No requirement on main: the plan was made from this base, and a retry makes it again.
      return { requirements: [], updates };
    },
    {
      clock,
      ...(options.knownVersion !== undefined ? { knownVersion: options.knownVersion } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
    },
  );
  const { committed, attempts: _, ...loaded } = result;
  return {
    expired: committed ? expired : [],
    removedRefs: committed ? removedRefs : [],
    table: loaded,
    committed,
  };
}

function expiredSnapshots(metadata: TableMetadata, plan: ExpirationPlan): Snapshot[] {
  const due = new Set(plan.snapshotIds);
  return metadata.snapshots.filter((s) => due.has(s.snapshotId));
}

/**
 * What `expireSnapshots` would commit on `base` at `nowMs`, applied in memory only: the
 * version it would write (`v<N+1>`, not written; `base` itself when nothing is due), with the
 * metadata log and snapshots that version would hold. A dry run walks it to tell what cleanup
 * would delete after the expiration.
 */
export function previewExpiration(
  table: TableRef,
  base: LoadedTable,
  nowMs: number,
  properties?: Readonly<Record<string, string>>,
  keep: ReadonlySet<bigint> = new Set(),
): ExpireResult {
  const plan = expirationPlan(base.metadata, nowMs, properties, keep);
  const updates = expirationUpdates(plan);
  if (updates.length === 0) return { expired: [], removedRefs: [], table: base, committed: false };
  const metadata = applyUpdates(base.metadata, updates, { nowMs, metadataLocation: base.metadataLocation });
  const version = base.version + 1;
  return {
    expired: expiredSnapshots(base.metadata, plan),
    removedRefs: plan.refsToRemove,
    table: { version, metadata, metadataLocation: metadataUri(table, version) },
    committed: false,
  };
}
