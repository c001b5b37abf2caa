/**
 * Time, behind an interface so tests and the benchmark can drive the drainer without
 * real waits where they want to, and bounded exponential backoff for retried sends.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Random source in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

/**
 * Delay before retry `attempt` (0-based): doubling from `baseMs`, capped at `maxMs`, with
 * "equal jitter" (half fixed, half random) so drainers retrying after one outage spread out
 * but never retry immediately.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt));
  const random = options.random ?? Math.random;
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
