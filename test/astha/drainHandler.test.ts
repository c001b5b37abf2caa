/**
 * The Lambda handler end to end: configuration from the environment (as CDK sets it), a
 * `file:` registry with real registry rows (the triggers write the log), LocalStack FIFO queues.
 */
import { wakes } from '../../lib/astha/wakes.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadBreakers } from '../../lib/astha/circuitBreaker.js';
import { COMPONENTS } from '../../lib/astha/subscriptions.js';
import { lambdaContext, scheduledEvent } from '../lambda/lambdaContext.js';
import { logIds, type TestRegistry, tempRegistry } from './helpers.js';
import { changeWriter, keepLogCopy, loggedChanges } from './registryChanges.js';
import { awsOptions, createComponentQueues, deliveryProblems, receiveAll } from './sqsHelpers.js';

let registry: TestRegistry;
beforeEach(async () => {
  registry = await tempRegistry();
  await keepLogCopy(registry.client);
});
afterEach(() => registry.close());

const scheduled = scheduledEvent();

describe('functions/drain', () => {
  it('drains the registry’s changes into the component queues and returns a summary', async () => {
    const { urls, queues } = await createComponentQueues('handler');
    const { urls: dlqUrls, queues: dlqs } = await createComponentQueues('handler-dlq');
    // One component has given up on a message: its breaker opens, the others keep flowing.
    await dlqs.iceberg_updater.sendBatch([{ id: '1', body: 'poison', groupId: 'g', deduplicationId: 'p' }]);
    const writer = await changeWriter(await registry.connect(), 9);
    await writer.write(120, 10);
    const aws = awsOptions();
    Object.assign(process.env, {
      ASTHA_REGISTRY_URL: registry.url,
      ASTHA_COMPONENT_QUEUES: JSON.stringify(urls),
      ASTHA_COMPONENT_DLQS: JSON.stringify(dlqUrls),
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: aws.credentials?.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials?.secretAccessKey,
      ASTHA_DRAIN_MARGIN_MS: '1000',
      ASTHA_LOG_LEVEL: 'warn',
    });
    const { handler } = await import('../../functions/drain.js');
    // Powertools writes EMF lines on stdout whatever the log level (here `warn`).
    const stdout: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      stdout.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stdout.write;
    // The run ends when the log is empty; the long budget only keeps a loaded machine from
    // ending it at the deadline first.
    const response = await handler(scheduled, lambdaContext(30_000)).finally(() => {
      process.stdout.write = write;
    });
    const emf = stdout
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const totals = emf.find((d) => 'CdcBacklogAgeSeconds' in d);
    expect(totals).toMatchObject({ service: 'astha-drain', CdcBacklogAgeSeconds: 0 });
    expect(totals?.['ChangesProcessed']).toBeGreaterThan(0);

    const expected = await loggedChanges(registry.client);
    expect(response).toMatchObject({
      acquired: true,
      stopped: 'empty',
      processed: expected.length,
      dead: 0,
      backlog: 0,
      backlogAgeSeconds: 0,
    });
    expect(await logIds(registry.client)).toEqual([]);
    let delivered = 0;
    for (const component of COMPONENTS) {
      if (component === 'iceberg_updater') continue;
      // The deployed drainer sends each change only to the components it can wake.
      const received = await receiveAll(queues[component]);
      delivered += received.length;
      expect(deliveryProblems(component, expected, received, wakes)).toEqual([]);
    }
    expect(delivered).toBeGreaterThan(0);
    expect(await receiveAll(queues.iceberg_updater)).toEqual([]);
    const breakers = await loadBreakers(registry.client);
    expect(breakers.get('iceberg_updater')).toMatchObject({ state: 'open', needsRefresh: true });
    expect(breakers.get('iceberg_updater')?.reason).toMatch(/dead-letter queue holds 1 messages/);
    expect(breakers.get('compactor')?.state).toBe('closed');
  }, 120_000);
});
