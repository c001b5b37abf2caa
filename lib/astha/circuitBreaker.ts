/**
 * A circuit breaker per component, persisted in `__astha_breaker` so it survives Lambda
 * invocations. While a component's breaker is open its events are not sent (the other
 * components keep flowing) and `needs_refresh` remembers that it missed some; after a
 * cool-down the breaker half-opens and probes by sending one `refresh` message, which is
 * also what tells the component to rebuild from the registry. Success closes it.
 */
import type { Client, InStatement, ResultSet } from '@libsql/client';
import type { Queue } from '../queue/queue.js';
import type { SqlCondition } from '../registry/writeTransaction.js';
import { COMPONENTS, type Component } from './subscriptions.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerRecord {
  component: Component;
  state: BreakerState;
  /** Consecutive failed passes for this component. */
  failures: number;
  openedAt: number | null;
  needsRefresh: boolean;
  reason: string | null;
}

export interface BreakerLimits {
  /** Consecutive failed sends (each after its retries) that open the breaker. */
  failureThreshold: number;
  /** How long an open breaker waits before a half-open probe. */
  coolDownMs: number;
  /** A component whose queue holds a message older than this is unhealthy. */
  maxMessageAgeSeconds: number;
  /** How often a closed component's queues are checked (stats calls cost API requests). */
  healthCheckIntervalMs: number;
}

export const DEFAULT_BREAKER_LIMITS: BreakerLimits = {
  failureThreshold: 5,
  coolDownMs: 30_000,
  maxMessageAgeSeconds: 900,
  healthCheckIntervalMs: 15_000,
};

/** 0 closed, 1 half-open, 2 open: the value of the BreakerState metric. */
export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = {
  closed: 0,
  half_open: 1,
  open: 2,
};

export function closedRecord(component: Component): BreakerRecord {
  return { component, state: 'closed', failures: 0, openedAt: null, needsRefresh: false, reason: null };
}

export const BREAKERS_SQL =
  'SELECT component, state, failures, opened_at, needs_refresh, reason FROM __astha_breaker';

export async function loadBreakers(client: Client): Promise<Map<Component, BreakerRecord>> {
  return breakersFrom(await client.execute(BREAKERS_SQL));
}

/** Every component's record from the rows of BREAKERS_SQL (closed when it has none). */
export function breakersFrom(result: ResultSet): Map<Component, BreakerRecord> {
  const records = new Map<Component, BreakerRecord>(COMPONENTS.map((c) => [c, closedRecord(c)]));
  for (const row of result.rows) {
    const component = row['component'] as Component;
    if (!records.has(component)) continue;
    records.set(component, {
      component,
      state: row['state'] as BreakerState,
      failures: Number(row['failures']),
      openedAt: row['opened_at'] === null ? null : Number(row['opened_at']),
      needsRefresh: Number(row['needs_refresh']) === 1,
      reason: row['reason'] === null ? null : String(row['reason']),
    });
  }
  return records;
}

/** The upsert of a breaker record; with `onlyIf` (an SQL condition), only while it holds. */
export function saveBreaker(record: BreakerRecord, now: number, onlyIf?: SqlCondition): InStatement {
  return {
    sql: `INSERT INTO __astha_breaker (component, state, failures, opened_at, needs_refresh, reason, updated_at)
          SELECT ?, ?, ?, ?, ?, ?, ? WHERE ${onlyIf?.sql ?? 'true'}
          ON CONFLICT (component) DO UPDATE SET state = excluded.state, failures = excluded.failures,
            opened_at = excluded.opened_at, needs_refresh = excluded.needs_refresh,
            reason = excluded.reason, updated_at = excluded.updated_at`,
    args: [
      record.component,
      record.state,
      record.failures,
      record.openedAt,
      record.needsRefresh ? 1 : 0,
      record.reason,
      now,
      ...(onlyIf?.args ?? []),
    ],
  };
}

/** What a pass does with a component: send as usual, skip it, or probe it with a refresh. */
export type BreakerDecision = 'send' | 'skip' | 'probe';

export function decide(record: BreakerRecord, now: number, limits: BreakerLimits): BreakerDecision {
  if (record.state === 'closed') return 'send';
  const coolingDown = record.openedAt !== null && now - record.openedAt < limits.coolDownMs;
  return coolingDown ? 'skip' : 'probe';
}

export function opened(record: BreakerRecord, now: number, reason: string): BreakerRecord {
  return { ...record, state: 'open', openedAt: now, reason };
}

export function afterFailure(
  record: BreakerRecord,
  now: number,
  limits: BreakerLimits,
  reason: string,
): BreakerRecord {
  const failures = record.failures + 1;
  if (record.state !== 'closed' || failures >= limits.failureThreshold) {
    return opened({ ...record, failures }, now, reason);
  }
  return { ...record, failures, reason };
}

export function afterSuccess(record: BreakerRecord): BreakerRecord {
  return closedRecord(record.component);
}

export function afterSkip(record: BreakerRecord): BreakerRecord {
  return { ...record, needsRefresh: true };
}

export function sameRecord(a: BreakerRecord, b: BreakerRecord): boolean {
  return (
    a.state === b.state &&
    a.failures === b.failures &&
    a.openedAt === b.openedAt &&
    a.needsRefresh === b.needsRefresh &&
    a.reason === b.reason
  );
}

export interface Health {
  healthy: boolean;
  reason?: string;
}

/** Unhealthy when the component lags (oldest message too old) or has given up on messages. */
export async function checkHealth(
  queue: Queue,
  deadLetters: Queue | undefined,
  limits: BreakerLimits,
): Promise<Health> {
  const [stats, dead] = await Promise.all([queue.stats(), deadLetters?.stats()]);
  if (stats.oldestAgeSeconds !== undefined && stats.oldestAgeSeconds > limits.maxMessageAgeSeconds) {
    return {
      healthy: false,
      reason: `oldest message is ${Math.round(stats.oldestAgeSeconds)} s old (limit ${limits.maxMessageAgeSeconds} s)`,
    };
  }
  if (dead && dead.visible + dead.inFlight > 0) {
    return { healthy: false, reason: `dead-letter queue holds ${dead.visible + dead.inFlight} messages` };
  }
  return { healthy: true };
}
