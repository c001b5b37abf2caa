import { describe, expect, it } from 'vitest';
import { closedRecord } from '../../lib/astha/circuitBreaker.js';
import {
  DrainMetrics,
  emptyCounters,
  emptyPass,
  type MetricsDocument,
  metricsDocuments,
  readBacklog,
  registryTimeMs,
} from '../../lib/astha/metrics.js';
import { runFor, status } from '../../lib/astha/runFor.js';
import {
  appendLogs,
  asQueues,
  componentQueues,
  FaultyQueue,
  FifoSink,
  images,
  manualClock,
  registryPerTest,
  testLogger,
} from './helpers.js';

const registry = registryPerTest();

/** A sink that keeps what a run published. */
function capturingSink() {
  const published: MetricsDocument[] = [];
  return {
    published,
    sink: { publish: (documents: readonly MetricsDocument[]) => void published.push(...documents) },
  };
}

describe('metrics', () => {
  it('publishes totals, backlog, and breaker state of the components that had news', async () => {
    const { logger } = testLogger();
    const { published: documents, sink } = capturingSink();
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
        metrics: sink,
        clock,
        limits: { failureThreshold: 2, maxSendRetries: 1, retryBaseMs: 1, pollIntervalMs: 1_000 },
      },
      5_000,
    );

    // Totals, plus one document per component that was sent to, failed or skipped.
    expect(documents.map((d) => d.dimensions['Component'] ?? 'totals')).toEqual([
      'totals',
      'iceberg_updater',
      'compactor',
      'snapshotter',
      'metadata_orchestrator',
      'catalog_sync',
    ]);
    const totals = documents[0]!;
    expect(Object.keys(totals.values)).toEqual([
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
    const value = (d: MetricsDocument, name: string) => d.values[name]?.[0];
    // Two failed passes open compactor's breaker; the third pass skips it and commits.
    expect(value(totals, 'ChangesProcessed')).toBe(2);
    expect(value(totals, 'ChangesDead')).toBe(1);
    expect(value(totals, 'ChangesFailed')).toBe(6);
    expect(value(totals, 'CdcBacklogCount')).toBe(0);
    expect(value(totals, 'SendRetries')).toBe(4);
    const compactor = documents.find((d) => d.dimensions['Component'] === 'compactor')!;
    expect(value(compactor, 'BreakerState')).toBe(2);
    expect(value(compactor, 'SendFailures')).toBe(4);
    expect(value(compactor, 'EventsSkipped')).toBe(2);
    const orchestrator = documents.find((d) => d.dimensions['Component'] === 'metadata_orchestrator')!;
    expect(value(orchestrator, 'BreakerState')).toBe(0);
    expect(summary.metrics).toMatchObject({ changesProcessed: 2, changesDead: 1, batches: 3 });

    const report = await status({ registry: registry.client });
    expect(report).toMatchObject({ deadRows: 1, backlog: { count: 0 } });
    expect(report.breakers.compactor.state).toBe('open');
    expect(report.metrics?.changesProcessed).toBe(2);
    expect(report.lease?.expiresAt).toBe(0); // released at the end of the run
  });

  it('reports only the components that had news: sent to, failed, skipped, or a breaker not closed', () => {
    const metrics = new DrainMetrics();
    const components = emptyCounters();
    components.compactor.sent = 3;
    metrics.record({ ...emptyPass(), rows: 3, processed: 3, committed: true, components });
    const open = { ...closedRecord('snapshotter'), state: 'open' as const, openedAt: 1 };
    const documents = metricsDocuments(
      metrics.snapshot(),
      { count: 0, oldestAgeSeconds: 0 },
      new Map([['snapshotter', open]]),
    );
    expect(documents.map((d) => d.dimensions['Component'] ?? 'totals')).toEqual([
      'totals',
      'compactor',
      'snapshotter',
    ]);
    // Nothing drained, no backlog, every breaker closed: nothing at all.
    expect(
      metricsDocuments(new DrainMetrics().snapshot(), { count: 0, oldestAgeSeconds: 0 }, new Map()),
    ).toEqual([]);
  });

  it('an idle run publishes nothing, takes no lease and writes nothing', async () => {
    const { published, sink } = capturingSink();
    const summary = await runFor(
      {
        registry: registry.client,
        queues: asQueues(componentQueues((c) => new FifoSink(c))),
        logger: testLogger().logger,
        metrics: sink,
      },
      5_000,
      { untilEmpty: true },
    );
    expect(summary).toMatchObject({ acquired: false, stopped: 'idle', rounds: 0 });
    expect(published).toEqual([]);
    const lease = await registry.client.execute('SELECT count(*) AS n FROM __astha_lease');
    expect(Number(lease.rows[0]?.['n'])).toBe(0);
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
