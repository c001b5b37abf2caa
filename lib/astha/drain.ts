/**
 * One drain pass: read up to `batchSize` `__cdc_log` rows in id order, convert them to typed
 * events, route each to its subscribed components, send every component's share to its FIFO
 * queue (group = table, deduplication id = log id), and only when every send was accepted,
 * delete the rows (and move unconvertible ones to `__cdc_dead`) in one transaction.
 * A failed send deletes nothing: the next pass sends the same rows again (at-least-once;
 * the FIFO deduplication id makes a resend within five minutes a no-op).
 */
import type { Client, InStatement, ResultSet } from '@libsql/client';
import type { Logger } from 'pino';
import { AsthaError, errorMessage } from '../errors.js';
import { writeBatch } from '../registry/writeTransaction.js';
import { type Queue, SQS_MAX_BATCH_BYTES } from '../queue/queue.js';
import { type Clock, systemClock } from './backoff.js';
import {
  afterFailure,
  afterSkip,
  afterSuccess,
  BREAKERS_SQL,
  breakersFrom,
  type BreakerLimits,
  type BreakerRecord,
  checkHealth,
  DEFAULT_BREAKER_LIMITS,
  decide,
  opened,
  sameRecord,
  saveBreaker,
} from './circuitBreaker.js';
import {
  type ChangeEvent,
  CHANGES_OVERHEAD_BYTES,
  encodeChange,
  encodeChanges,
  encodeMessage,
  groupIdOf,
  type LogRow,
  parseLogRow,
  refreshMessage,
} from './events.js';
import type { Lease } from './lease.js';
import { emptyPass, type MetricsSink, type PassResult } from './metrics.js';
import { eventsIn, type SendPolicy, type SizedMessage, sendInOrder } from './sendInOrder.js';
import { COMPONENTS, type Component, componentsFor } from './subscriptions.js';

export interface DrainLimits extends BreakerLimits {
  /** Log rows per pass. */
  batchSize: number;
  /** Wait between polls of an empty log. */
  pollIntervalMs: number;
  /** Retries of a failed chunk within one pass. */
  maxSendRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** sendBatch calls of one component in flight at once (each covers whole tables). */
  sendConcurrency: number;
  /** Entries per sendBatch call (the adapter splits it into SQS batches of 10). */
  entriesPerCall: number;
  leaseTtlMs: number;
  /** `runFor` never starts a pass later than this before its deadline. */
  safetyMarginMs: number;
}

export const DEFAULT_DRAIN_LIMITS: DrainLimits = {
  ...DEFAULT_BREAKER_LIMITS,
  batchSize: 256,
  pollIntervalMs: 100,
  maxSendRetries: 4,
  retryBaseMs: 50,
  retryMaxMs: 2_000,
  sendConcurrency: 8,
  entriesPerCall: 50,
  leaseTtlMs: 30_000,
  safetyMarginMs: 1_000,
};

/** A component without a queue (not deployed) is not sent anything. */
export type ComponentQueues = Readonly<Partial<Record<Component, Queue>>>;

export interface DrainDeps {
  registry: Client;
  queues: ComponentQueues;
  /** Each component's dead-letter queue; a non-empty one marks the component unhealthy. */
  deadLetterQueues?: Partial<ComponentQueues>;
  clock?: Clock;
  limits?: Partial<DrainLimits>;
  logger: Logger;
  /** Where a run's metrics go (CloudWatch EMF in Lambda); none locally. */
  metrics?: MetricsSink;
  /**
   * Which subscribed components a change is sent to. Deployed and local runtimes pass `wakes`
   * (only those it can give work to); the default sends every change to every subscriber, the
   * delivery machinery's tests exercise it with every message.
   */
  route?: Route;
  /**
   * Whether each component gets a pass's consecutive changes of one table as one message (a
   * ChangeBatch) instead of one message each. Deployed and local runtimes pack; the delivery
   * machinery's tests see every change as its own message.
   */
  pack?: boolean;
}

/** Whether a change of one of `component`'s subscribed tables is sent to it. */
export type Route = (component: Component, event: ChangeEvent) => boolean;

/** Every change to every component subscribed to its table. */
export const everySubscriber: Route = () => true;

export interface PassOptions {
  /** When given, the delete only commits while this lease is still ours. */
  lease?: Lease;
  /** Epoch ms by which the pass must be over; retries stop before it. */
  deadline?: number;
  /** When each component's queues were last checked; kept across passes by `runFor`. */
  lastHealthCheck?: Map<Component, number>;
}

const MAX_MESSAGE_BYTES = SQS_MAX_BATCH_BYTES;

interface ConvertedBatch {
  rows: number;
  firstId: number;
  lastId: number;
  dead: { id: number; reason: string }[];
  outgoing: Map<Component, SizedMessage[]>;
}

/**
 * The next `batchSize` log rows in id order. The rows come back as ONE JSON text
 * (json_group_array): materialising hundreds of driver row objects costs more than the rest
 * of a pass, and parsing one string is cheap.
 */
export async function readBatch(registry: Client, batchSize: number): Promise<LogRow[]> {
  return logRowsFrom(await registry.execute(readStatement(batchSize)));
}

function readStatement(batchSize: number): InStatement {
  return {
    sql: `SELECT json_group_array(json_array(id, timestamp, tablename, operation, before, after)) AS batch
          FROM (SELECT id, timestamp, tablename, operation, before, after FROM __cdc_log ORDER BY id LIMIT ?)`,
    args: [batchSize],
  };
}

function logRowsFrom(result: ResultSet): LogRow[] {
  const tuples = JSON.parse(String(result.rows[0]?.['batch'] ?? '[]')) as unknown[][];
  const rows = tuples.map(([id, timestamp, tablename, operation, before, after]) => ({
    id: Number(id),
    timestamp: String(timestamp ?? ''),
    tablename: String(tablename),
    operation: String(operation),
    before: typeof before === 'string' ? before : null,
    after: typeof after === 'string' ? after : null,
  }));
  // An aggregate's input order is SQLite's choice, not a guarantee: restore id order.
  return rows.sort((a, b) => a.id - b.id);
}

/** The next rows and the breakers' records, in one request (a round trip less per pass). */
async function readPass(registry: Client, batchSize: number) {
  const [log, breakers] = await registry.batch([readStatement(batchSize), BREAKERS_SQL], 'read');
  return { rows: logRowsFrom(log!), breakers: breakersFrom(breakers!) };
}

export function convertBatch(
  rows: readonly LogRow[],
  route: Route = everySubscriber,
  pack = false,
): ConvertedBatch {
  const outgoing = new Map<Component, SizedMessage[]>(COMPONENTS.map((c) => [c, []]));
  const dead: ConvertedBatch['dead'] = [];
  for (const row of rows) {
    const parsed = parseLogRow(row);
    if (!parsed.ok) {
      dead.push({ id: row.id, reason: parsed.reason });
      continue;
    }
    const body = encodeChange(row, parsed.event);
    const bytes = Buffer.byteLength(body);
    if (bytes > MAX_MESSAGE_BYTES) {
      dead.push({ id: row.id, reason: `event is ${bytes} bytes, over the queue's ${MAX_MESSAGE_BYTES}` });
      continue;
    }
    const id = String(row.id);
    const message: SizedMessage = { id, body, bytes, groupId: groupIdOf(parsed.event), deduplicationId: id };
    for (const component of componentsFor(parsed.event.table)) {
      if (route(component, parsed.event)) outgoing.get(component)?.push(message);
    }
  }
  if (pack) for (const [component, messages] of outgoing) outgoing.set(component, packTables(messages));
  return { rows: rows.length, firstId: rows[0]?.id ?? 0, lastId: rows.at(-1)?.id ?? 0, dead, outgoing };
}

/**
 * One component's messages with each table's changes (in log order) packed into ChangeBatch
 * messages as large as a queue message may be. A table's messages stay in order: its batches
 * go out in order in its message group.
 */
export function packTables(messages: readonly SizedMessage[]): SizedMessage[] {
  const batches: { messages: SizedMessage[]; bytes: number }[] = [];
  const open = new Map<string, { messages: SizedMessage[]; bytes: number }>();
  for (const message of messages) {
    const group = message.groupId ?? '';
    const current = open.get(group);
    if (current && current.bytes + 1 + message.bytes <= MAX_MESSAGE_BYTES) {
      current.messages.push(message);
      current.bytes += 1 + message.bytes;
      continue;
    }
    const batch = { messages: [message], bytes: CHANGES_OVERHEAD_BYTES + message.bytes };
    batches.push(batch);
    open.set(group, batch);
  }
  return batches.map((b) => (b.messages.length === 1 ? b.messages[0]! : changeBatch(b.messages)));
}

function changeBatch(messages: readonly SizedMessage[]): SizedMessage {
  const first = messages[0]!;
  const last = messages.at(-1)!;
  const id = `${first.id}-${last.id}`;
  const body = encodeChanges(
    messages.map((m) => m.body),
    id,
    new Date().toISOString(),
  );
  return {
    id,
    body,
    bytes: Buffer.byteLength(body),
    ...(first.groupId ? { groupId: first.groupId } : {}),
    deduplicationId: id,
    events: messages.length,
  };
}

export function resolveLimits(limits: Partial<DrainLimits> | undefined): DrainLimits {
  return { ...DEFAULT_DRAIN_LIMITS, ...limits };
}

/** Runs one pass; returns what it did. Throws only on registry errors or a lost lease. */
export async function drain(deps: DrainDeps, options: PassOptions = {}): Promise<PassResult> {
  const clock = deps.clock ?? systemClock;
  const limits = resolveLimits(deps.limits);
  const started = clock.now();
  const result = emptyPass();
  const { rows, breakers: before } = await readPass(deps.registry, limits.batchSize);
  if (rows.length === 0) return result;
  const batch = convertBatch(rows, deps.route, deps.pack);
  Object.assign(result, { rows: batch.rows, firstId: batch.firstId, lastId: batch.lastId });

  const after = new Map(before);
  const policy: SendPolicy = {
    maxRetries: limits.maxSendRetries,
    retryBaseMs: limits.retryBaseMs,
    retryMaxMs: limits.retryMaxMs,
    concurrency: limits.sendConcurrency,
    entriesPerCall: limits.entriesPerCall,
    deadline: options.deadline ?? Number.POSITIVE_INFINITY,
    clock,
  };
  const delivered = await Promise.all(
    COMPONENTS.map(async (component) => {
      const record = before.get(component)!;
      const outcome = await deliver(deps, component, record, batch, policy, limits, options, result);
      after.set(component, outcome.record);
      return outcome.ok;
    }),
  );
  const changed = COMPONENTS.map((c) => after.get(c)!).filter(
    (r) => !sameRecord(r, before.get(r.component)!),
  );
  const now = clock.now();
  if (!delivered.every(Boolean)) {
    result.failed = batch.rows;
    if (changed.length > 0) {
      await writeBatch(
        deps.registry,
        changed.map((r) => saveBreaker(r, now)),
      );
    }
    result.latencyMs = clock.now() - started;
    deps.logger.warn(
      { firstId: batch.firstId, lastId: batch.lastId },
      'astha drain pass failed; rows kept for retry',
    );
    return result;
  }
  const cleanupStarted = clock.now();
  await commit(deps.registry, batch, changed, options.lease, now);
  result.cleanupMs = clock.now() - cleanupStarted;
  result.committed = true;
  result.dead = batch.dead.length;
  result.processed = batch.rows - batch.dead.length;
  result.latencyMs = clock.now() - started;
  return result;
}

interface Delivery {
  ok: boolean;
  record: BreakerRecord;
}

/** Sends one component's share of the batch, as its breaker allows. */
async function deliver(
  deps: DrainDeps,
  component: Component,
  record: BreakerRecord,
  batch: ConvertedBatch,
  policy: SendPolicy,
  limits: DrainLimits,
  options: PassOptions,
  result: PassResult,
): Promise<Delivery> {
  const clock = deps.clock ?? systemClock;
  const messages = batch.outgoing.get(component) ?? [];
  const counters = result.components[component];
  const queue = deps.queues[component];
  if (!queue) return { ok: true, record };
  let current = record;
  let decision = decide(current, clock.now(), limits);
  if (decision !== 'skip' && healthCheckDue(component, decision, clock.now(), limits, options)) {
    // A queue whose stats cannot be read is not judged by them: the send that follows
    // decides, and its failures count towards the breaker like any other.
    const health = await checkHealth(queue, deps.deadLetterQueues?.[component], limits).catch(
      (error: unknown) => ({ healthy: true, reason: `health unknown: ${errorMessage(error)}` }),
    );
    options.lastHealthCheck?.set(component, clock.now());
    if (!health.healthy) {
      current = opened(current, clock.now(), health.reason ?? 'unhealthy');
      decision = 'skip';
    }
  }
  if (decision === 'probe') {
    const refresh = encodeMessage(refreshMessage(component, new Date(current.openedAt ?? clock.now())));
    const probe = await sendInOrder(
      queue,
      [
        {
          id: 'refresh',
          body: refresh,
          bytes: Buffer.byteLength(refresh),
          groupId: 'control',
          deduplicationId: refreshId(current),
        },
      ],
      policy,
    );
    result.sendCalls += probe.apiBatches;
    if (!probe.ok) {
      current = opened(current, clock.now(), `refresh probe failed: ${probe.error ?? 'unknown'}`);
      decision = 'skip';
    } else {
      deps.logger.info({ component }, 'astha breaker closed; refresh sent');
      current = afterSuccess(current);
    }
  }
  if (decision === 'skip') {
    counters.skipped += eventsIn(messages);
    return { ok: true, record: messages.length > 0 ? afterSkip(current) : current };
  }
  if (messages.length === 0) return { ok: true, record: current };
  const outcome = await sendInOrder(queue, messages, policy);
  counters.sent += outcome.sent;
  counters.failed += outcome.failed;
  result.retries += outcome.retries;
  result.sendCalls += outcome.apiBatches;
  if (outcome.ok) return { ok: true, record: current.failures === 0 ? current : afterSuccess(current) };
  const reason = `send failed: ${outcome.error ?? 'unknown'}`;
  deps.logger.warn({ component, failed: outcome.failed, reason }, 'astha send to component failed');
  return { ok: false, record: afterFailure(current, clock.now(), limits, reason) };
}

/** The refresh of one open period keeps one deduplication id, so a crash-and-retry sends it once. */
function refreshId(record: BreakerRecord): string {
  return `refresh-${record.openedAt ?? 0}`;
}

function healthCheckDue(
  component: Component,
  decision: 'send' | 'probe',
  now: number,
  limits: DrainLimits,
  options: PassOptions,
): boolean {
  if (decision === 'probe') return true;
  const last = options.lastHealthCheck?.get(component);
  return last === undefined || now - last >= limits.healthCheckIntervalMs;
}

async function commit(
  registry: Client,
  batch: ConvertedBatch,
  breakers: readonly BreakerRecord[],
  lease: Lease | undefined,
  now: number,
): Promise<void> {
  const deadAt = new Date(now).toISOString();
  // One request: a remote registry's write lock is held only while the server runs it, not
  // across a round trip per statement. With a lease, the fence goes first and every other
  // statement holds only while the lease is ours, so a drainer that lost it deletes nothing.
  const held = lease?.held() ?? { sql: 'true', args: [] };
  const statements: InStatement[] = [
    ...(lease ? [lease.fence(now)] : []),
    ...batch.dead.map(({ id, reason }) => ({
      sql: `INSERT OR REPLACE INTO __cdc_dead (id, timestamp, tablename, operation, before, after, created_at, reason, dead_at)
            SELECT id, timestamp, tablename, operation, before, after, created_at, ?, ? FROM __cdc_log
            WHERE id = ? AND ${held.sql}`,
      args: [reason, deadAt, id, ...held.args],
    })),
    ...breakers.map((r) => saveBreaker(r, now, held)),
    { sql: `DELETE FROM __cdc_log WHERE id <= ? AND ${held.sql}`, args: [batch.lastId, ...held.args] },
  ];
  const results = await writeBatch(registry, statements);
  if (lease && results[0]?.rowsAffected !== 1) {
    throw new AsthaError('lease_lost', `drain lease taken over; rows up to ${batch.lastId} kept`, {
      details: { owner: lease.owner },
    });
  }
  lease?.markRenewed(now);
}
