/**
 * The drainer as a scheduled invocation runs it: take the lease, poll every `pollInterval`
 * and drain back to back while rows remain, and stop cleanly before the deadline, never
 * starting a pass that might not finish inside it. Metrics are emitted once at the end.
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
  emitMetrics,
  type MetricsSnapshot,
  metricsDocuments,
  type PassResult,
  readBacklog,
} from './metrics.js';
import type { Component } from './subscriptions.js';

export interface RunOptions {
  /** Lease holder name; unique per process by default. */
  owner?: string;
  /** When another drainer holds the lease: wait for it (until the deadline) or return at once. */
  whenLeased?: 'wait' | 'exit';
  /** Return as soon as a pass finds the log empty (CLI "drain now", tests, benchmarks). */
  untilEmpty?: boolean;
  /** Called after every pass with rows (tests record batches; the CLI shows progress). */
  onPass?: (pass: PassResult) => unknown;
}

export interface RunSummary {
  /** False when another drainer held the lease the whole time. */
  acquired: boolean;
  /** Why the run ended. */
  stopped: 'deadline' | 'empty' | 'lease_lost' | 'not_acquired';
  metrics: MetricsSnapshot;
  backlog: Backlog;
  breakers: Record<Component, BreakerRecord>;
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
  const lease = new Lease(deps.registry, {
    owner: options.owner ?? `drain-${randomUUID()}`,
    ttlMs: limits.leaseTtlMs,
    clock,
  });
  const metrics = new DrainMetrics();
  const acquired =
    options.whenLeased === 'wait'
      ? await lease.acquireBefore(deadline - limits.safetyMarginMs, limits.pollIntervalMs)
      : await lease.acquire();
  let stopped: RunSummary['stopped'] = acquired ? 'deadline' : 'not_acquired';
  if (acquired) {
    try {
      stopped = await loop(deps, lease, deadline, metrics, options);
    } finally {
      if (stopped !== 'lease_lost') await lease.release();
    }
  }
  const summary = await summarize(deps, metrics.snapshot(), clock.now());
  deps.logger.info(
    { acquired, stopped, metrics: summary.metrics, backlog: summary.backlog },
    'astha drain run',
  );
  return { ...summary, acquired, stopped, durationMs: clock.now() - started };
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
  const lastHealthCheck = new Map<Component, number>();
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

async function summarize(deps: DrainDeps, snapshot: MetricsSnapshot, now: number) {
  lastMetrics = snapshot;
  const [backlog, breakers] = await Promise.all([
    readBacklog(deps.registry, now),
    loadBreakers(deps.registry),
  ]);
  emitMetrics(deps.logger, metricsDocuments(snapshot, backlog, breakers, now));
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
