/**
 * A drainer in its own process, for the crash and two-drainer tests: reads its settings
 * from ASTHA_DRAIN_CHILD (JSON), drains a `file:` registry into LocalStack FIFO queues and
 * prints one JSON line per pass (so the parent knows which ranges it committed).
 */
import pino from 'pino';
import type { ComponentQueues } from '../../lib/astha/drain.js';
import { runFor } from '../../lib/astha/runFor.js';
import type { Component } from '../../lib/astha/subscriptions.js';
import type { AwsOptions } from '../../lib/aws/awsOptions.js';
import { SqsQueue } from '../../lib/queue/sqsQueue.js';
import { openRegistry } from '../../lib/registry/registry.js';

export interface ChildSettings {
  registryUrl: string;
  queueUrls: Record<Component, string>;
  aws: AwsOptions;
  runMs: number;
  batchSize: number;
  leaseTtlMs: number;
  whenLeased: 'wait' | 'exit';
  owner: string;
}

const settings = JSON.parse(process.env.ASTHA_DRAIN_CHILD ?? '{}') as ChildSettings;
const registry = await openRegistry(settings.registryUrl);
const queues = Object.fromEntries(
  Object.entries(settings.queueUrls).map(([component, url]) => [component, new SqsQueue(url, settings.aws)]),
) as ComponentQueues;
const logger = pino({ level: 'warn' }, pino.destination(2));
const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

print({ event: 'started', owner: settings.owner });
const summary = await runFor(
  {
    registry: registry.client,
    queues,
    logger,
    limits: { batchSize: settings.batchSize, leaseTtlMs: settings.leaseTtlMs },
  },
  settings.runMs,
  {
    owner: settings.owner,
    whenLeased: settings.whenLeased,
    onPass: (pass) =>
      print({
        event: 'pass',
        owner: settings.owner,
        firstId: pass.firstId,
        lastId: pass.lastId,
        committed: pass.committed,
      }),
  },
);
print({
  event: 'done',
  owner: settings.owner,
  stopped: summary.stopped,
  processed: summary.metrics.changesProcessed,
});
registry.close();
