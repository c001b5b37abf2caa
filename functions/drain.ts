/**
 * Astha, the scheduled CDC drainer: every minute EventBridge starts it, it drains the
 * registry's change log into the component queues until shortly before its timeout, and
 * returns what it did. Dependencies are built once per container.
 */
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import pino from 'pino';
import type { DrainDeps } from '../lib/astha/drain.js';
import { drainDepsFromConfig } from '../lib/astha/drainDepsFromConfig.js';
import { runFor } from '../lib/astha/runFor.js';
import { loadConfig } from '../lib/config.js';

const config = loadConfig();
const logger = pino({ level: config.logLevel });

let deps: Promise<DrainDeps> | undefined;
function ready(): Promise<DrainDeps> {
  // A failed start (registry unreachable) is retried by the next invocation, not cached.
  deps ??= drainDepsFromConfig(config, logger).catch((error: unknown) => {
    deps = undefined;
    throw error;
  });
  return deps;
}

export interface DrainResponse {
  acquired: boolean;
  stopped: string;
  processed: number;
  dead: number;
  failed: number;
  batches: number;
  backlog: number;
  backlogAgeSeconds: number;
  durationMs: number;
}

async function drainHandler(_event: ScheduledEvent, context: Context): Promise<DrainResponse> {
  const budgetMs = context.getRemainingTimeInMillis() - config.drain.safetyMarginMs;
  // Waiting (not exiting) lets this invocation take over as soon as a crashed holder's lease expires.
  const summary = await runFor(await ready(), budgetMs, { whenLeased: 'wait' });
  return {
    acquired: summary.acquired,
    stopped: summary.stopped,
    processed: summary.metrics.changesProcessed,
    dead: summary.metrics.changesDead,
    failed: summary.metrics.changesFailed,
    batches: summary.metrics.batches,
    backlog: summary.backlog.count,
    backlogAgeSeconds: summary.backlog.oldestAgeSeconds,
    durationMs: summary.durationMs,
  };
}

export const handler = middy<ScheduledEvent, DrainResponse>().handler(drainHandler);
