/**
 * The drainer as one invocation runs it: take the lease, drain back to back while rows
 * remain, and stop cleanly before the deadline, never starting a pass that might not finish
 * inside it. With `untilEmpty` (the Lambda handler and the local runtime) a run on an empty
 * log is one read and nothing else, and a run ends as soon as the log is empty; after
 * releasing the lease it looks once more, so a change whose nudge found the lease taken is
 * drained by the holder that is leaving. Metrics are published once at the end, only when
 * the run had something to report.
 */
import { randomUUID } from 'node:crypto';
import { AsthaError } from '../errors.js';
import { systemClock } from './backoff.js';
import { type BreakerRecord, loadBreakers } from './circuitBreaker.js';
import { ensureAsthaSchema } from './asthaSchema.js';
import { type DrainDeps, drain, resolveLimits } from './drain.js';
import { Lease } from './lease.js';
import {
  type Backlog,
  DrainMetrics,
  type MetricsSnapshot,
  metricsDocuments,
  type PassResult,
  readBacklog,
} from './metrics.js';
import { hasPendingChanges } from './nudge.js';
import type { Component } from './subscriptions.js';

export interface RunOptions {
  /** Lease holder name; unique per process by default. */
  owner?: string;
  /** When another drainer holds the lease: wait for it (until the deadline) or return at once. */
  whenLeased?: 'wait' | 'exit';
  /**
   * Return as soon as a pass finds the log empty, and do nothing but one read when it is
   * empty from the start (the Lambda handler, the local runtime, the CLI's "drain now").
   */
  untilEmpty?: boolean;
  /**
   * When each component's queues were last health-checked; the caller keeps it across runs
   * (one per Lambda container or process) so short runs do not check on every start.
   */
  lastHealthCheck?: Map<Component, number>;
  /** Called after every pass with rows (tests record batches; the CLI shows progress). */
  onPass?: (pass: PassResult) => unknown;
}

export interface RunSummary {
  /** False when another drainer held the lease the whole time. */
  acquired: boolean;
  /** Why the run ended; `idle` = the log was empty, nothing was taken or written. */
  stopped: 'deadline' | 'empty' | 'lease_lost' | 'not_acquired' | 'idle';
  metrics: MetricsSnapshot;
  backlog: Backlog;
  /** Absent after an idle run, which reads nothing but the log. */
  breakers?: Record<Component, BreakerRecord>;
  /** Times the lease was taken (more than once when the look after a release found rows). */
  rounds: number;
  durationMs: number;
}

export interface DrainStatus {
  backlog: Backlog;
  deadRows: number;
  breakers: Record<Component, BreakerRecord>;
  lease: { owner: string; expiresAt: number } | null;
  /** Counters of the last `runFor` in this process, if any. */
  metrics?: MetricsSnapshot;
}

let lastMetrics: MetricsSnapshot | undefined;

/** Drains until `ms` from now; returns what was done. */
export async function runFor(deps: DrainDeps, ms: number, options: RunOptions = {}): Promise<RunSummary> {
  const clock = deps.clock ?? systemClock;
  const limits = resolveLimits(deps.limits);
  const started = clock.now();
  const deadline = started + ms;
  await ensureAsthaSchema(deps.registry);
  // Nothing waiting: no lease, no write, no metrics. A change that lands after this read
  // is announced by its writer's nudge, which starts a run of its own.
  if (options.untilEmpty && !(await hasPendingChanges(deps.registry))) {
    return idleSummary(clock.now() - started);
  }
  const lease = new Lease(deps.registry, {
    owner: options.owner ?? `drain-${randomUUID()}`,
    ttlMs: limits.leaseTtlMs,
    clock,
  });
  const metrics = new DrainMetrics();
  let acquired =
    options.whenLeased === 'wait'
      ? await lease.acquireBefore(deadline - limits.safetyMarginMs, limits.pollIntervalMs)
      : await lease.acquire();
  let stopped: RunSummary['stopped'] = acquired ? 'deadline' : 'not_acquired';
  let rounds = 0;
  while (acquired) {
    rounds += 1;
    try {
      stopped = await loop(deps, lease, deadline, metrics, options);
    } finally {
      if (stopped !== 'lease_lost') await lease.release();
    }
    // The race this closes: a writer commits after our last read and nudges while we still
    // hold the lease, so the nudged run exits. Looking again after the release sees that
    // change; if someone else took the lease meanwhile, they took it after the change
    // committed, and their own last look (after their release) covers the rest.
    if (stopped !== 'empty' || !options.untilEmpty) break;
    if (clock.now() >= deadline - limits.safetyMarginMs) break;
    if (!(await hasPendingChanges(deps.registry))) break;
    acquired = await lease.acquire();
  }
  // Only a run that held the lease reports: a run turned away by the holder would repeat its numbers.
  const summary = await summarize(deps, metrics.snapshot(), clock.now(), rounds > 0);
  deps.logger.info(
    { acquired: rounds > 0, stopped, metrics: summary.metrics, backlog: summary.backlog },
    'astha drain run',
  );
  return { ...summary, acquired: rounds > 0, stopped, rounds, durationMs: clock.now() - started };
}

function idleSummary(durationMs: number): RunSummary {
  return {
    acquired: false,
    stopped: 'idle',
    metrics: new DrainMetrics().snapshot(),
    backlog: { count: 0, oldestAgeSeconds: 0 },
    rounds: 0,
    durationMs,
  };
}

async function loop(
  deps: DrainDeps,
  lease: Lease,
  deadline: number,
  metrics: DrainMetrics,
  options: RunOptions,
): Promise<RunSummary['stopped']> {
  const clock = deps.clock ?? systemClock;
  const limits = resolveLimits(deps.limits);
  const lastHealthCheck = options.lastHealthCheck ?? new Map<Component, number>();
  // The longest pass so far is the best guess of how long the next one takes.
  let longestPassMs = 0;
  for (;;) {
    const passDeadline = deadline - limits.safetyMarginMs;
    if (clock.now() + longestPassMs >= passDeadline) return 'deadline';
    if (!(await lease.renewIfDue())) return 'lease_lost';
    const passStarted = clock.now();
    let pass: PassResult;
    try {
      pass = await drain(deps, { lease, deadline: passDeadline, lastHealthCheck });
    } catch (error) {
      if (error instanceof AsthaError && error.code === 'lease_lost') return 'lease_lost';
      throw error;
    }
    longestPassMs = Math.max(longestPassMs, clock.now() - passStarted);
    metrics.record(pass);
    if (options.untilEmpty && pass.rows === 0) return 'empty';
    if (pass.rows > 0) await options.onPass?.(pass);
    // A full batch that went through means more rows are likely waiting: go again at once.
    const more = pass.committed && pass.rows === limits.batchSize;
    if (!more) {
      const wait = Math.min(limits.pollIntervalMs, passDeadline - clock.now());
      if (wait <= 0) return 'deadline';
      await clock.sleep(wait);
    }
  }
}

async function summarize(deps: DrainDeps, snapshot: MetricsSnapshot, now: number, publish: boolean) {
  lastMetrics = snapshot;
  const [backlog, breakers] = await Promise.all([
    readBacklog(deps.registry, now),
    loadBreakers(deps.registry),
  ]);
  const documents = metricsDocuments(snapshot, backlog, breakers);
  if (publish && documents.length > 0) deps.metrics?.publish(documents, now);
  return {
    metrics: snapshot,
    backlog,
    breakers: Object.fromEntries(breakers) as Record<Component, BreakerRecord>,
  };
}

/** What the CLI shows: the registry's view (backlog, dead rows, breakers, lease) plus local counters. */
export async function status(deps: Pick<DrainDeps, 'registry' | 'clock'>): Promise<DrainStatus> {
  const clock = deps.clock ?? systemClock;
  await ensureAsthaSchema(deps.registry);
  const [backlog, breakers, dead, lease] = await Promise.all([
    readBacklog(deps.registry, clock.now()),
    loadBreakers(deps.registry),
    deps.registry.execute('SELECT count(*) AS n FROM __cdc_dead'),
    deps.registry.execute({
      sql: 'SELECT owner, expires_at FROM __astha_lease WHERE name = ?',
      args: ['drain'],
    }),
  ]);
  const leaseRow = lease.rows[0];
  return {
    backlog,
    deadRows: Number(dead.rows[0]?.['n'] ?? 0),
    breakers: Object.fromEntries(breakers) as Record<Component, BreakerRecord>,
    lease: leaseRow ? { owner: String(leaseRow['owner']), expiresAt: Number(leaseRow['expires_at']) } : null,
    ...(lastMetrics ? { metrics: lastMetrics } : {}),
  };
}
