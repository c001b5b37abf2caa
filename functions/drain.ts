/**
 * Astha, the CDC drainer: started by a writer's nudge (an async invoke after its transaction)
 * or by the EventBridge safety-net schedule. A run on an empty log is one read; otherwise it
 * drains until the log is empty (or shortly before its timeout, then nudges itself so a long
 * backlog keeps going) and returns what it did. Metrics go through Powertools, apart from the
 * log level. Dependencies are built once per container.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { DrainDeps } from '../lib/astha/drain.js';
import { drainDepsFromConfig } from '../lib/astha/drainDepsFromConfig.js';
import { nudgeIfPending } from '../lib/astha/nudge.js';
import { powertoolsMetricsSink } from '../lib/astha/powertoolsMetrics.js';
import { runFor } from '../lib/astha/runFor.js';
import type { Component } from '../lib/astha/subscriptions.js';
import { NUDGE_EVENT } from '../lib/aws/lambdaNudger.js';
import { loadConfig } from '../lib/config.js';
import { nudgerFromConfig } from '../lib/lambda/drainNudge.js';
import { createLogger } from '../lib/log.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: 'drain' });
const metrics = powertoolsMetricsSink();
const nudger = nudgerFromConfig(config);
/** Kept across the container's runs, so short nudged runs do not health-check on every start. */
const lastHealthCheck = new Map<Component, number>();

let deps: Promise<DrainDeps> | undefined;
function ready(): Promise<DrainDeps> {
  // A failed start (registry unreachable) is retried by the next invocation, not cached.
  deps ??= drainDepsFromConfig(config, logger)
    .then((built) => ({ ...built, metrics }))
    .catch((error: unknown) => {
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

export type DrainEvent = ScheduledEvent | typeof NUDGE_EVENT;

export async function handler(event: DrainEvent, context: Context): Promise<DrainResponse> {
  const budgetMs = context.getRemainingTimeInMillis() - config.drain.safetyMarginMs;
  // The schedule waits for a crashed holder's lease to expire; a nudge that finds the lease
  // taken leaves, since the holder looks at the log again after releasing it.
  const whenLeased = event.source === NUDGE_EVENT.source ? 'exit' : 'wait';
  const drainDeps = await ready();
  const summary = await runFor(drainDeps, budgetMs, { whenLeased, untilEmpty: true, lastHealthCheck });
  if (nudger && summary.stopped === 'deadline') await nudgeIfPending(drainDeps.registry, nudger, logger);
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
