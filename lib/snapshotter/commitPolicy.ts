/**
 * When a table's pending files become a snapshot (DESIGN.md, "snapshotter"). A table opts into
 * batching with properties; with none set, files are committed as soon as they are pending
 * (the iceberg_updater's behaviour before policies existed, so latency does not regress):
 *
 * - `astha.commit.min-files`: commit once this many files are pending;
 * - `astha.commit.min-bytes`: ... or once they hold this many bytes;
 * - `astha.commit.max-age-seconds`: ... or once the oldest has waited this long;
 * - a manual request (`astha snapshot <table>`) commits what was pending when it was made.
 *
 * Any one trigger that is met is enough. A table with only size or count triggers waits until
 * they are met; add `max-age-seconds` to bound the wait.
 */
import type { Registry } from '../registry/registry.js';
import { type PendingStats, pendingStats } from '../registry/snapshotterState.js';
import { parseProperties } from '../registry/tableProperties.js';

export { parseProperties };

export const MIN_FILES = 'astha.commit.min-files';
export const MIN_BYTES = 'astha.commit.min-bytes';
export const MAX_AGE_SECONDS = 'astha.commit.max-age-seconds';

export interface CommitPolicy {
  minFiles?: number;
  minBytes?: number;
  maxAgeMs?: number;
}

/** True when no trigger is set: commit as soon as anything is pending. */
export function isImmediate(policy: CommitPolicy): boolean {
  return policy.minFiles === undefined && policy.minBytes === undefined && policy.maxAgeMs === undefined;
}

/**
 * The policy in a table's properties. A value that is not a positive number is ignored (the
 * trigger is off) rather than failing commits: a typo must not stop a table from committing.
 */
export function policyFromProperties(properties: Readonly<Record<string, string>>): CommitPolicy {
  const positive = (key: string): number | undefined => {
    const value = Number(properties[key]);
    return properties[key] !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const policy: CommitPolicy = {};
  const minFiles = positive(MIN_FILES);
  const minBytes = positive(MIN_BYTES);
  const maxAgeSeconds = positive(MAX_AGE_SECONDS);
  if (minFiles !== undefined) policy.minFiles = Math.ceil(minFiles);
  if (minBytes !== undefined) policy.minBytes = minBytes;
  if (maxAgeSeconds !== undefined) policy.maxAgeMs = maxAgeSeconds * 1000;
  return policy;
}

export type CommitDecision =
  | { commit: true; reason: 'immediate' | 'min-files' | 'min-bytes' | 'max-age' | 'requested' }
  | { commit: false; reason: 'nothing pending' | 'waiting'; dueAtMs?: number };

/** Whether the pending files of a table with `policy` should be committed at `nowMs`. */
export function shouldCommit(policy: CommitPolicy, stats: PendingStats, nowMs: number): CommitDecision {
  if (stats.files === 0) return { commit: false, reason: 'nothing pending' };
  if (isImmediate(policy)) return { commit: true, reason: 'immediate' };
  // A request covers the files that were pending when it was made.
  if (
    stats.requestedMs !== undefined &&
    stats.oldestMs !== undefined &&
    stats.oldestMs <= stats.requestedMs
  ) {
    return { commit: true, reason: 'requested' };
  }
  if (policy.minFiles !== undefined && stats.files >= policy.minFiles)
    return { commit: true, reason: 'min-files' };
  if (policy.minBytes !== undefined && stats.bytes >= policy.minBytes)
    return { commit: true, reason: 'min-bytes' };
  if (policy.maxAgeMs !== undefined && stats.oldestMs !== undefined) {
    const dueAtMs = stats.oldestMs + policy.maxAgeMs;
    if (nowMs >= dueAtMs) return { commit: true, reason: 'max-age' };
    return { commit: false, reason: 'waiting', dueAtMs };
  }
  return { commit: false, reason: 'waiting' };
}

/** Asks the policy whether table `tableId` should commit now (the iceberg_updater's gate). */
export type CommitGate = (tableId: number) => Promise<boolean>;

/**
 * The gate the iceberg_updater consults before committing a table: one registry read of the
 * table's properties and pending statistics. The snapshotter's tick commits what the gate held
 * back once it is due.
 */
export function commitPolicyGate(registry: Registry, now: () => number = Date.now): CommitGate {
  return async (tableId) => {
    const stats = await pendingStats(registry.client, tableId);
    const decision = shouldCommit(policyFromProperties(parseProperties(stats.propertiesJson)), stats, now());
    // Nothing pending: let the updater look anyway, its look also finishes interrupted commits.
    return decision.commit || decision.reason === 'nothing pending';
  };
}
