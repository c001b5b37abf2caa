/**
 * LocalStack SQS FIFO pieces for the drainer's reliability tests: component queues, reading a
 * queue dry (as a FIFO consumer: receive, ack), and the delivery check every test shares.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { type AwsOptions, sqsClientConfig } from '../../lib/aws/awsOptions.js';
import { everySubscriber, type Route } from '../../lib/astha/drain.js';
import { type ChangeEvent, decodeMessage } from '../../lib/astha/events.js';
import { COMPONENTS, type Component, isSubscribed } from '../../lib/astha/subscriptions.js';
import type { Queue } from '../../lib/queue/queue.js';
import { createSqsQueue, SqsQueue } from '../../lib/queue/sqsQueue.js';
import { localstack, uniqueName } from '../harness/services.js';

export function awsOptions(): AwsOptions {
  const { endpoint, region, credentials } = localstack();
  return { endpoint, region, credentials };
}

export async function createComponentQueues(prefix: string) {
  const options = awsOptions();
  const client = new SQSClient(sqsClientConfig(options));
  const urls = {} as Record<Component, string>;
  const queues = {} as Record<Component, SqsQueue>;
  for (const component of COMPONENTS) {
    urls[component] = await createSqsQueue(client, {
      name: uniqueName(`${prefix}-${component.replace('_', '')}`).slice(0, 70),
      fifo: true,
      visibilityTimeout: 30,
    });
    queues[component] = new SqsQueue(urls[component], client);
  }
  return { urls, queues, client };
}

export interface Delivered {
  body: string;
  groupId?: string;
}

/** Reads a FIFO queue dry: each group hands out its next message once the previous one is acked. */
export async function receiveAll(queue: Queue): Promise<Delivered[]> {
  const delivered: Delivered[] = [];
  let empty = 0;
  while (empty < 3) {
    const batch = await queue.receive({ maxMessages: 10, waitSeconds: 0, visibilitySeconds: 60 });
    if (batch.length === 0) {
      empty += 1;
      continue;
    }
    empty = 0;
    for (const message of batch) {
      delivered.push({ body: message.body, ...(message.groupId ? { groupId: message.groupId } : {}) });
    }
    // A batch holds at most one in-flight run per group, so acking it in parallel keeps group order.
    await Promise.all(batch.map((message) => queue.ack(message.receiptHandle)));
  }
  return delivered;
}

export interface ExpectedChange {
  id: number;
  table: string;
  group: string;
  event: ChangeEvent;
}

/**
 * What at-least-once in per-table order means for one component: every subscribed change
 * arrives, nothing else does, first deliveries of a group come in log-id order, and any
 * repeat is an exact copy of the first, whether changes came alone or in ChangeBatches. Returns the problems found (empty when all hold).
 */
export function deliveryProblems(
  component: Component,
  expected: readonly ExpectedChange[],
  delivered: readonly Delivered[],
  route: Route = everySubscriber,
): string[] {
  const problems: string[] = [];
  const first = new Map<number, string>();
  const lastOfGroup = new Map<string, number>();
  for (const { body, groupId } of delivered) {
    const decoded = decodeMessage(body);
    // A ChangeBatch (deployed drainers pack a table's changes of a pass) holds its changes in order.
    const changes = decoded.kind === 'change' ? [decoded] : decoded.kind === 'changes' ? decoded.events : [];
    for (const message of changes) {
      const copy = JSON.stringify(message);
      const seen = first.get(message.id);
      if (seen !== undefined) {
        if (seen !== copy) problems.push(`${component}: ${message.id} redelivered with a different body`);
        continue;
      }
      first.set(message.id, copy);
      const group = groupId ?? '';
      const previous = lastOfGroup.get(group) ?? 0;
      if (message.id < previous)
        problems.push(`${component}: ${message.id} after ${previous} in group ${group}`);
      lastOfGroup.set(group, message.id);
    }
  }
  const wanted = expected.filter((e) => isSubscribed(component, e.table) && route(component, e.event));
  for (const e of wanted)
    if (!first.has(e.id)) problems.push(`${component}: ${e.table} change ${e.id} never delivered`);
  const wantedIds = new Set(wanted.map((e) => e.id));
  for (const id of first.keys())
    if (!wantedIds.has(id)) problems.push(`${component}: got unsubscribed change ${id}`);
  return problems;
}
