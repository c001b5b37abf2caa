/**
 * The drainer's metrics (the seed's CDCMetrics): counted per pass, summed per invocation,
 * and handed to a sink (in Lambda, Powertools writes them as CloudWatch Embedded Metric
 * Format lines, whatever the log level). Only what happened is reported: a run with nothing
 * to say reports nothing, and a component appears only when it was sent to or its breaker is
 * not closed. Names are stable: the CDK stack alarms on `CdcBacklogAgeSeconds`.
 */
import type { Client } from '@libsql/client';
import { BREAKER_STATE_VALUE, type BreakerRecord } from './circuitBreaker.js';
import { COMPONENTS, type Component } from './subscriptions.js';

export const METRICS_NAMESPACE = 'Astha';
/** The `service` dimension Powertools puts on every drainer metric (the stack's alarm names it). */
export const DRAIN_METRICS_SERVICE = 'astha-drain';

export interface ComponentCounters {
  /** Events accepted by the component's queue. */
  sent: number;
  /** Events whose send failed after retries (rows kept for the next pass). */
  failed: number;
  /** Events not sent because the component's breaker was open. */
  skipped: number;
}

/** What one drain pass did. */
export interface PassResult {
  /** Log rows read. */
  rows: number;
  /** Rows delivered to every subscribed component (or skipped by an open breaker) and deleted. */
  processed: number;
  /** Rows moved to `__cdc_dead`. */
  dead: number;
  /** Rows left in the log because a send failed; the next pass sends them again. */
  failed: number;
  /** Entries re-sent after a failure within the pass. */
  retries: number;
  /** SQS SendMessageBatch requests the sends amount to (10 entries each). */
  sendCalls: number;
  /** Read to commit, in ms. */
  latencyMs: number;
  /** The delete transaction alone, in ms. */
  cleanupMs: number;
  /** Id range of the rows read, when any were. */
  firstId?: number;
  lastId?: number;
  /** True when the rows were deleted. */
  committed: boolean;
  components: Record<Component, ComponentCounters>;
}

export function emptyCounters(): Record<Component, ComponentCounters> {
  const counters = {} as Record<Component, ComponentCounters>;
  for (const c of COMPONENTS) counters[c] = { sent: 0, failed: 0, skipped: 0 };
  return counters;
}

/** A pass that did nothing yet; `drain` fills it in. */
export function emptyPass(): PassResult {
  return {
    rows: 0,
    processed: 0,
    dead: 0,
    failed: 0,
    retries: 0,
    sendCalls: 0,
    latencyMs: 0,
    cleanupMs: 0,
    committed: false,
    components: emptyCounters(),
  };
}

export interface MetricsSnapshot {
  passes: number;
  batches: number;
  changesProcessed: number;
  changesFailed: number;
  changesDead: number;
  averageBatchSize: number;
  averageDrainLatencyMs: number;
  maxDrainLatencyMs: number;
  averageCleanupMs: number;
  retries: number;
  sendCalls: number;
  components: Record<Component, ComponentCounters>;
}

/** Sums pass results; one instance per `runFor`. */
export class DrainMetrics {
  private passes = 0;
  private batches = 0;
  private rows = 0;
  private processed = 0;
  private failed = 0;
  private dead = 0;
  private latencySum = 0;
  private latencyMax = 0;
  private cleanupSum = 0;
  private retries = 0;
  private sendCalls = 0;
  private readonly components = emptyCounters();

  record(pass: PassResult): void {
    this.passes += 1;
    this.retries += pass.retries;
    this.sendCalls += pass.sendCalls;
    this.failed += pass.failed;
    for (const c of COMPONENTS) {
      const from = pass.components[c];
      const to = this.components[c];
      to.sent += from.sent;
      to.failed += from.failed;
      to.skipped += from.skipped;
    }
    if (pass.rows === 0) return;
    this.batches += 1;
    this.rows += pass.rows;
    this.processed += pass.processed;
    this.dead += pass.dead;
    this.latencySum += pass.latencyMs;
    this.latencyMax = Math.max(this.latencyMax, pass.latencyMs);
    this.cleanupSum += pass.cleanupMs;
  }

  snapshot(): MetricsSnapshot {
    const perBatch = (sum: number) => (this.batches === 0 ? 0 : sum / this.batches);
    return {
      passes: this.passes,
      batches: this.batches,
      changesProcessed: this.processed,
      changesFailed: this.failed,
      changesDead: this.dead,
      averageBatchSize: perBatch(this.rows),
      averageDrainLatencyMs: perBatch(this.latencySum),
      maxDrainLatencyMs: this.latencyMax,
      averageCleanupMs: perBatch(this.cleanupSum),
      retries: this.retries,
      sendCalls: this.sendCalls,
      components: structuredClone(this.components),
    };
  }
}

export interface Backlog {
  /** Rows waiting in `__cdc_log`. */
  count: number;
  /** Age of the oldest waiting row; 0 when the log is empty. */
  oldestAgeSeconds: number;
}

/** SQLite writes `YYYY-MM-DD HH:MM:SS[.SSS]` (UTC, no zone) or ISO 8601; accept both. */
export function registryTimeMs(value: unknown): number | undefined {
  if (typeof value === 'number') return value > 1e12 ? value : value * 1000;
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return registryTimeMs(Number(value));
  let iso = value.replace(' ', 'T');
  if (!/(Z|[+-]\d\d:?\d\d)$/.test(iso)) iso += 'Z';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

export async function readBacklog(client: Client, now: number): Promise<Backlog> {
  const result = await client.execute(
    `SELECT (SELECT count(*) FROM __cdc_log) AS count,
            (SELECT coalesce(created_at, timestamp) FROM __cdc_log ORDER BY id LIMIT 1) AS oldest`,
  );
  const row = result.rows[0];
  const count = Number(row?.['count'] ?? 0);
  const oldest = registryTimeMs(row?.['oldest']);
  const oldestAgeSeconds = count === 0 || oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000);
  return { count, oldestAgeSeconds };
}

export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds' | 'None';

/** Metrics that share one dimension set; an EMF document, once a sink writes it. */
export interface MetricsDocument {
  dimensions: Readonly<Record<string, string>>;
  values: Readonly<Record<string, readonly [number, MetricUnit]>>;
}

/** Where a run's documents go. */
export interface MetricsSink {
  publish(documents: readonly MetricsDocument[], now: number): void;
}

/** True when the run did or saw something worth a data point. */
function runHadNews(snapshot: MetricsSnapshot, backlog: Backlog): boolean {
  return snapshot.batches > 0 || snapshot.changesFailed > 0 || backlog.count > 0;
}

/**
 * The documents of one run: the totals (no extra dimension) when the run drained, failed
 * or left a backlog, and one per component that was sent to, failed, skipped, or whose
 * breaker is not closed. An idle run yields none, so nothing is billed per metric.
 */
export function metricsDocuments(
  snapshot: MetricsSnapshot,
  backlog: Backlog,
  breakers: ReadonlyMap<Component, BreakerRecord>,
): MetricsDocument[] {
  const documents: MetricsDocument[] = [];
  if (runHadNews(snapshot, backlog)) {
    documents.push({
      dimensions: {},
      values: {
        ChangesProcessed: [snapshot.changesProcessed, 'Count'],
        ChangesFailed: [snapshot.changesFailed, 'Count'],
        ChangesDead: [snapshot.changesDead, 'Count'],
        Batches: [snapshot.batches, 'Count'],
        AverageBatchSize: [snapshot.averageBatchSize, 'Count'],
        DrainLatencyMs: [snapshot.averageDrainLatencyMs, 'Milliseconds'],
        CleanupMs: [snapshot.averageCleanupMs, 'Milliseconds'],
        SendRetries: [snapshot.retries, 'Count'],
        SendMessageBatchCalls: [snapshot.sendCalls, 'Count'],
        CdcBacklogCount: [backlog.count, 'Count'],
        CdcBacklogAgeSeconds: [backlog.oldestAgeSeconds, 'Seconds'],
      },
    });
  }
  for (const component of COMPONENTS) {
    const counters = snapshot.components[component];
    const state = breakers.get(component)?.state ?? 'closed';
    if (counters.sent + counters.failed + counters.skipped === 0 && state === 'closed') continue;
    documents.push({
      dimensions: { Component: component },
      values: {
        EventsSent: [counters.sent, 'Count'],
        SendFailures: [counters.failed, 'Count'],
        EventsSkipped: [counters.skipped, 'Count'],
        BreakerState: [BREAKER_STATE_VALUE[state], 'None'],
      },
    });
  }
  return documents;
}
