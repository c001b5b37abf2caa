/**
 * Limits and time of the commit protocol, injectable so tests can race committers without
 * real waits and drive claim ages with a manual clock.
 */
export interface CommitClock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemCommitClock: CommitClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export interface CommitLimits {
  /** Attempts at writing `v<N+1>` before giving up (conflicts and transient store errors). */
  maxAttempts: number;
  /** First backoff ceiling; doubles per attempt up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * Longest a commit may hold its claim on pending files. A committer past it stops before its
   * next metadata PUT, so recovery may safely hand its files to another committer once a claim
   * is `staleClaimMs` (more than twice this) old.
   */
  maxCommitMs: number;
  /** Age after which a claim whose snapshot is not in the table goes back to pending. */
  staleClaimMs: number;
  /** Pending files committed in one snapshot at most; the rest wait for the next commit. */
  maxFilesPerCommit: number;
}

export const DEFAULT_COMMIT_LIMITS: CommitLimits = {
  maxAttempts: 20,
  baseDelayMs: 20,
  maxDelayMs: 2_000,
  maxCommitMs: 120_000,
  staleClaimMs: 300_000,
  maxFilesPerCommit: 10_000,
};

/**
 * Delay before retry `attempt` (1-based): a doubling ceiling with "full jitter", so committers
 * that lost the same race spread out instead of colliding again on the next version.
 */
export function commitBackoff(
  attempt: number,
  limits: CommitLimits,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(limits.maxDelayMs, limits.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * random());
}
