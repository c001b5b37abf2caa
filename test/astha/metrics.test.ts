import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureAsthaSchema } from '../../lib/astha/asthaSchema.js';
import { METRICS_NAMESPACE, readBacklog, registryTimeMs } from '../../lib/astha/metrics.js';
import { runFor, status } from '../../lib/astha/runFor.js';
import { COMPONENTS } from '../../lib/astha/subscriptions.js';
import {
  appendLogs,
  asQueues,
  componentQueues,
  FaultyQueue,
  FifoSink,
  images,
  manualClock,
  type TestRegistry,
  tempRegistry,
  testLogger,
} from './helpers.js';

let registry: TestRegistry;
beforeEach(async () => {
  registry = await tempRegistry();
  await ensureAsthaSchema(registry.client);
});
afterEach(() => registry.close());

interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: string }[];
}

function emfDocuments(lines: Record<string, unknown>[]) {
  return lines.filter((l) => l['_aws'] !== undefined) as (Record<string, unknown> & {
    _aws: { Timestamp: number; CloudWatchMetrics: EmfDirective[] };
  })[];
}

describe('metrics', () => {
  it('emits CloudWatch EMF documents: totals, backlog, and breaker state per component', async () => {
    const { logger, lines } = testLogger();
    const queues = componentQueues((c) => new FaultyQueue(new FifoSink(c)));
    queues.compactor.down = true;
    const clock = manualClock(Date.now());
    await appendLogs(registry.client, [
      ['tables', 'INSERT', undefined, images.tables(1)],
      ['table_files', 'INSERT', undefined, { id: 'broken' }],
      ['file_statistics', 'INSERT', undefined, images.file_statistics(1, 1)],
    ]);
    const summary = await runFor(
      {
        registry: registry.client,
        queues: asQueues(queues),
        logger,
        clock,
        limits: { failureThreshold: 2, maxSendRetries: 1, retryBaseMs: 1, pollIntervalMs: 1_000 },
      },
      5_000,
    );

    const documents = emfDocuments(lines);
    // The totals, then one document per component.
    expect(documents).toHaveLength(1 + COMPONENTS.length);
    for (const document of documents) {
      const [directive] = document._aws.CloudWatchMetrics;
      expect(directive?.Namespace).toBe(METRICS_NAMESPACE);
      for (const metric of directive?.Metrics ?? []) expect(typeof document[metric.Name]).toBe('number');
      for (const dimension of directive?.Dimensions.flat() ?? [])
        expect(typeof document[dimension]).toBe('string');
    }
    const totals = documents[0]!;
    expect(totals._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name)).toEqual([
      'ChangesProcessed',
      'ChangesFailed',
      'ChangesDead',
      'Batches',
      'AverageBatchSize',
      'DrainLatencyMs',
      'CleanupMs',
      'SendRetries',
      'SendMessageBatchCalls',
      'CdcBacklogCount',
      'CdcBacklogAgeSeconds',
    ]);
    // Two failed passes open compactor's breaker; the third pass skips it and commits.
    expect(totals).toMatchObject({
      ChangesProcessed: 2,
      ChangesDead: 1,
      ChangesFailed: 6,
      CdcBacklogCount: 0,
    });
    expect(totals['SendRetries']).toBe(4);
    const compactor = documents.find((d) => d['Component'] === 'compactor')!;
    expect(compactor).toMatchObject({ BreakerState: 2, SendFailures: 4, EventsSkipped: 2 });
    expect(compactor._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Component']]);
    expect(documents.find((d) => d['Component'] === 'metadata_orchestrator')).toMatchObject({
      BreakerState: 0,
    });
    expect(summary.metrics).toMatchObject({ changesProcessed: 2, changesDead: 1, batches: 3 });

    const report = await status({ registry: registry.client });
    expect(report).toMatchObject({ deadRows: 1, backlog: { count: 0 } });
    expect(report.breakers.compactor.state).toBe('open');
    expect(report.metrics?.changesProcessed).toBe(2);
    expect(report.lease?.expiresAt).toBe(0); // released at the end of the run
  });

  it('reports the backlog as a count and the age of the oldest row', async () => {
    await appendLogs(registry.client, [
      ['tables', 'INSERT', undefined, images.tables(1)],
      ['tables', 'INSERT', undefined, images.tables(2)],
    ]);
    const oldest = await registry.client.execute('SELECT created_at FROM __cdc_log ORDER BY id LIMIT 1');
    const createdAt = registryTimeMs(oldest.rows[0]?.['created_at'])!;
    expect(await readBacklog(registry.client, createdAt + 42_000)).toEqual({
      count: 2,
      oldestAgeSeconds: 42,
    });
  });

  it('reads the registry’s time formats', () => {
    expect(registryTimeMs('2026-01-02T03:04:05.678Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    expect(registryTimeMs('2026-01-02 03:04:05')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(registryTimeMs('1767323045')).toBe(1_767_323_045_000);
    expect(registryTimeMs('yesterday')).toBeUndefined();
  });
});
