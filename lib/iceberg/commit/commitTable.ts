/**
 * The commit protocol on an object store with conditional writes (DESIGN.md, "Commit
 * protocol"): a change is data (`{updates, requirements}`) computed from a base version N;
 * `v<N+1>.metadata.json` is created with `putIfAbsent`, and creating it IS the commit. When
 * another writer created N+1 first (412/409 → StoreError `conflict`), the new base is loaded
 * and the change is computed again from it, so a retry never re-applies a stale decision.
 */
import { isRetryable, StoreError } from '../../errors.js';
import type { ObjectStore } from '../../store/objectStore.js';
import { IcebergError } from '../icebergError.js';
import { assertRequirements } from '../spec/checkRequirements.js';
import type { Snapshot } from '../spec/snapshot.js';
import { snapshotById, type TableMetadata } from '../spec/tableMetadata.js';
import { applyUpdates } from '../spec/tableMetadataBuilder.js';
import type { TableCommit } from '../spec/tableUpdate.js';
import { metadataKey, metadataUri, type TableRef, versionHintKey } from '../tableLocation.js';
import {
  type CommitClock,
  type CommitLimits,
  commitBackoff,
  DEFAULT_COMMIT_LIMITS,
  systemCommitClock,
} from './commitBackoff.js';
import { deleteDroppedVersions } from './deleteAfterCommit.js';
import { type LoadedTable, loadTable, remember } from './loadTable.js';
import { metadataText } from './metadataText.js';

/**
 * Computes the change from a base; called again after every lost race with the new base.
 * 'noop' means nothing is left to do on this base (e.g. the snapshot is already in it).
 */
export type ChangeBuilder = (
  base: LoadedTable,
  attempt: number,
) => Promise<TableCommit | 'noop'> | TableCommit | 'noop';

export interface CommitOptions {
  /** A version known to exist (registry pointer); saves reading the hint file. */
  knownVersion?: number | null;
  clock?: CommitClock;
  limits?: Partial<CommitLimits>;
  /** Random source for backoff jitter, injectable for deterministic tests. */
  random?: () => number;
  /** Absolute time (clock ms) after which no further metadata PUT is attempted. */
  deadlineMs?: number;
  /** The newest version, when the caller just loaded it: the first attempt skips loading. */
  base?: LoadedTable;
  /**
   * The caller writes `version-hint.text` itself (`writeVersionHint`) beside its next step (its
   * registry record), instead of this commit waiting for it before returning.
   */
  deferVersionHint?: boolean;
  /**
   * Told of each race this commit lost (another writer created the version it tried): `true`
   * retries at once, without the backoff (the caller has made room for it, e.g. a commit turn).
   */
  onLostRace?: (attempt: number) => Promise<boolean>;
}

export interface CommitResult extends LoadedTable {
  /** False when the builder answered 'noop': `version` is then the base it looked at. */
  committed: boolean;
  attempts: number;
}

/** Applies `buildChange` to the table's newest version and writes the next version. */
export async function commitTable(
  store: ObjectStore,
  table: TableRef,
  buildChange: ChangeBuilder,
  options: CommitOptions = {},
): Promise<CommitResult> {
  const limits = { ...DEFAULT_COMMIT_LIMITS, ...options.limits };
  const clock = options.clock ?? systemCommitClock;
  let known = options.knownVersion ?? null;
  let lastError: unknown;
  let fresh = options.base;
  let retryAtOnce = false;
  for (let attempt = 1; attempt <= limits.maxAttempts; attempt++) {
    if (attempt > 1 && !retryAtOnce) await clock.sleep(commitBackoff(attempt - 1, limits, options.random));
    try {
      const base = fresh ?? (await loadTable(store, table, { knownVersion: known }));
      fresh = undefined;
      if (!base) {
        throw new IcebergError('invalid_update', `table ${table.location} has no metadata: create it first`);
      }
      known = base.version;
      const change = await buildChange(base, attempt);
      if (change === 'noop') return { ...base, committed: false, attempts: attempt };
      assertRequirements(base.metadata, change.requirements);
      const next = applyUpdates(base.metadata, change.updates, {
        nowMs: clock.now(),
        metadataLocation: base.metadataLocation,
      });
      if (options.deadlineMs !== undefined && clock.now() > options.deadlineMs) {
        throw new IcebergError('requirement_failed', `commit to ${table.location} passed its deadline`, {
          retryable: false,
          details: { reason: 'deadline', attempts: attempt },
        });
      }
      const written = await writeVersion(store, table, base.version + 1, next, {
        hint: !options.deferVersionHint,
      });
      await deleteDroppedVersions(store, table, base, next);
      return { ...written, committed: true, attempts: attempt };
    } catch (error) {
      // Conflicts and transient store errors are worth another attempt on a fresh base;
      // a failed requirement or an invalid update is not (the builder saw the newest base).
      if (!(error instanceof StoreError && isRetryable(error))) throw error;
      lastError = error;
      retryAtOnce = error.code === 'conflict' && ((await options.onLostRace?.(attempt)) ?? false);
    }
  }
  throw new IcebergError(
    'requirement_failed',
    `commit to ${table.location} gave up after ${limits.maxAttempts} attempts`,
    { cause: lastError, details: { reason: 'attempts_exhausted', attempts: limits.maxAttempts } },
  );
}

/**
 * Creates `v<version>` with putIfAbsent (throws StoreError `conflict` if it exists), then the
 * hint unless the caller writes it.
 */
export async function writeVersion(
  store: ObjectStore,
  table: TableRef,
  version: number,
  metadata: TableMetadata,
  options: { hint?: boolean } = {},
): Promise<LoadedTable> {
  const info = await store.putIfAbsent(metadataKey(table, version), metadataText(metadata), {
    contentType: 'application/json',
  });
  if (options.hint ?? true) await writeVersionHint(store, table, version);
  const loaded = { version, metadata, metadataLocation: metadataUri(table, version) };
  remember(store, table, loaded, info.etag);
  return loaded;
}

/** Best effort: the hint only saves probes, and loaders never trust it beyond a start point. */
export async function writeVersionHint(store: ObjectStore, table: TableRef, version: number): Promise<void> {
  try {
    await store.put(versionHintKey(table), String(version), { contentType: 'text/plain' });
  } catch {
    // A missing or stale hint costs a few HEAD requests on the next load, nothing more.
  }
}

/** The snapshot a commit was to add, from the metadata it committed (or found already holding it). */
export function committedSnapshot(commit: CommitResult, snapshotId: bigint): Snapshot {
  const snapshot = snapshotById(commit.metadata, snapshotId);
  if (!snapshot) {
    throw new IcebergError('invalid_metadata', `snapshot ${snapshotId} is not in ${commit.metadataLocation}`);
  }
  return snapshot;
}
