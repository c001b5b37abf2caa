import { describe, expect, it } from 'vitest';
import { type DrainDeps, drain, packTables } from '../../lib/astha/drain.js';
import { wakes } from '../../lib/astha/wakes.js';
import { decodeMessage } from '../../lib/astha/events.js';
import { packCalls } from '../../lib/astha/sendInOrder.js';
import {
  appendLog,
  appendLogs,
  asQueues,
  componentQueues,
  FaultyQueue,
  FifoSink,
  firstDeliveries,
  images,
  logIds,
  RecordingQueue,
  registryPerTest,
  testLogger,
} from './helpers.js';

const registry = registryPerTest();

function deps(queues: Record<string, RecordingQueue>, limits: DrainDeps['limits'] = {}): DrainDeps {
  return { registry: registry.client, queues: asQueues(queues), logger: testLogger().logger, limits };
}

describe('drain pass', () => {
  it("packs a pass's consecutive changes of one table into one message per component when asked", async () => {
    const queues = componentQueues((c) => new RecordingQueue(new FifoSink(c)));
    const ids = await appendLogs(
      registry.client,
      Array.from(
        { length: 30 },
        (_, i) => ['table_files', 'INSERT', undefined, images.table_files(i + 1, (i % 3) + 1)] as const,
      ),
    );
    const pass = await drain({ ...deps(queues), route: wakes, pack: true });

    expect(pass).toMatchObject({ rows: 30, processed: 30, committed: true });
    const updater = queues.iceberg_updater.accepted;
    // One message per table, not one per change: three tables, three messages.
    expect(updater).toHaveLength(3);
    for (const [t, message] of updater.entries()) {
      const decoded = decodeMessage(message.body);
      if (decoded.kind !== 'changes') throw new Error(`expected a ChangeBatch, got ${decoded.kind}`);
      const mine = ids.filter((_, i) => i % 3 === t);
      expect(decoded.events.map((e) => e.id)).toEqual(mine);
      expect(message.groupId).toBe(`table-${t + 1}`);
      expect(message.deduplicationId).toBe(`${mine[0]}-${mine.at(-1)}`);
    }
    // Counters count changes, not messages.
    expect(pass.components.iceberg_updater.sent).toBe(30);
    expect(await logIds(registry.client)).toEqual([]);
  });

  it('starts another batch of a table when the next change would pass the queue message limit', () => {
    const big = 'x'.repeat(100 * 1024);
    const messages = [1, 2, 3, 4].map((id) => ({
      id: String(id),
      body: `{"kind":"change","id":${id},"pad":"${big}"}`,
      bytes: 100 * 1024 + 40,
      groupId: 'table-1',
      deduplicationId: String(id),
    }));
    const packed = packTables([
      ...messages,
      { ...messages[0]!, id: '5', groupId: 'table-2', deduplicationId: '5' },
    ]);
    expect(packed.map((m) => [m.groupId, m.id, m.events ?? 1])).toEqual([
      ['table-1', '1-2', 2],
      ['table-1', '3-4', 2],
      ['table-2', '5', 1],
    ]);
    expect(packed.every((m) => Buffer.byteLength(m.body) <= 256 * 1024)).toBe(true);
  });

  it('routes each change to its subscribed components with table group and log-id dedup, then deletes', async () => {
    const queues = componentQueues((c) => new RecordingQueue(new FifoSink(c)));
    const t = await appendLog(registry.client, 'tables', 'INSERT', undefined, images.tables(5));
    const f = await appendLog(registry.client, 'table_files', 'INSERT', undefined, images.table_files(1, 5));
    const s = await appendLog(
      registry.client,
      'file_statistics',
      'INSERT',
      undefined,
      images.file_statistics(1, 5),
    );
    const p = await appendLog(
      registry.client,
      'table_snapshots',
      'INSERT',
      undefined,
      images.table_snapshots(5, '9007199254740993'),
    );

    const pass = await drain(deps(queues));

    expect(pass).toMatchObject({ rows: 4, processed: 4, dead: 0, committed: true, firstId: t, lastId: p });
    expect(firstDeliveries(queues.iceberg_updater.accepted).ids).toEqual([t, f]);
    expect(firstDeliveries(queues.compactor.accepted).ids).toEqual([t, f, s]);
    expect(firstDeliveries(queues.snapshotter.accepted).ids).toEqual([t, f, p]);
    expect(firstDeliveries(queues.metadata_orchestrator.accepted).ids).toEqual([t]);
    for (const m of queues.compactor.accepted) {
      expect(m.groupId).toBe('table-5');
      expect(m.deduplicationId).toBe(String(decodeMessage(m.body).id));
    }
    const snapshot = decodeMessage(queues.snapshotter.accepted[2]!.body);
    expect(
      snapshot.kind === 'change' && snapshot.table === 'table_snapshots' && snapshot.after?.snapshot_id,
    ).toBe('9007199254740993');
    expect(await logIds(registry.client)).toEqual([]);
  });

  it('moves an unconvertible row to __cdc_dead with its reason, without blocking the rows behind it', async () => {
    const queues = componentQueues((c) => new RecordingQueue(new FifoSink(c)));
    const good1 = await appendLog(registry.client, 'tables', 'INSERT', undefined, images.tables(1));
    const bad = await appendLog(registry.client, 'table_files', 'INSERT', undefined, {
      id: 'x',
      table_id: 1,
    });
    const good2 = await appendLog(registry.client, 'tables', 'UPDATE', images.tables(1), images.tables(1));

    const pass = await drain(deps(queues));

    expect(pass).toMatchObject({ rows: 3, processed: 2, dead: 1, committed: true });
    expect(firstDeliveries(queues.iceberg_updater.accepted).ids).toEqual([good1, good2]);
    const dead = await registry.client.execute(
      'SELECT id, tablename, after, reason, dead_at FROM __cdc_dead',
    );
    expect(dead.rows).toHaveLength(1);
    expect(dead.rows[0]).toMatchObject({
      id: bad,
      tablename: 'table_files',
      after: '{"id":"x","table_id":1}',
    });
    expect(String(dead.rows[0]?.['reason'])).toMatch(/table_files.id must be an integer \(got "x"\)/);
    expect(await logIds(registry.client)).toEqual([]);
  });

  it('reads at most batchSize rows in id order per pass', async () => {
    const queues = componentQueues((c) => new RecordingQueue(new FifoSink(c)));
    const ids: number[] = [];
    for (let i = 0; i < 7; i++)
      ids.push(await appendLog(registry.client, 'tables', 'INSERT', undefined, images.tables(i)));

    const first = await drain(deps(queues, { batchSize: 3 }));
    expect(first).toMatchObject({ rows: 3, firstId: ids[0], lastId: ids[2] });
    expect(await logIds(registry.client)).toEqual(ids.slice(3));
    await drain(deps(queues, { batchSize: 3 }));
    await drain(deps(queues, { batchSize: 3 }));
    expect(firstDeliveries(queues.metadata_orchestrator.accepted).ids).toEqual(ids);
    expect((await drain(deps(queues, { batchSize: 3 }))).rows).toBe(0);
  });

  it('keeps every row when a send fails for good, and sends them again on the next pass', async () => {
    const queues = componentQueues((c) => new FaultyQueue(new FifoSink(c)));
    const ids: number[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        await appendLog(registry.client, 'table_files', 'INSERT', undefined, images.table_files(i, 1)),
      );
    queues.compactor.down = true;

    const failed = await drain(deps(queues, { maxSendRetries: 2, retryBaseMs: 1, retryMaxMs: 2 }));
    expect(failed).toMatchObject({ rows: 5, committed: false, failed: 5, processed: 0 });
    expect(failed.components.compactor.failed).toBe(5);
    expect(failed.retries).toBe(10);
    expect(await logIds(registry.client)).toEqual(ids);

    queues.compactor.down = false;
    const retried = await drain(deps(queues));
    expect(retried).toMatchObject({ rows: 5, committed: true, processed: 5 });
    expect(firstDeliveries(queues.compactor.accepted).ids).toEqual(ids);
    // The other components got the rows twice; dedup ids make the second copy a no-op.
    expect(queues.iceberg_updater.accepted.filter((m) => m.deduplicationId === String(ids[0]))).toHaveLength(
      2,
    );
    expect((queues.iceberg_updater.inner as FifoSink).messages).toHaveLength(5);
  });

  it('retries only the failed entries within the pass (bounded backoff) and keeps table order', async () => {
    const queues = componentQueues((c) => new FaultyQueue(new FifoSink(c)));
    for (const q of Object.values(queues)) q.failEvery = 3;
    const ids: number[] = [];
    for (let i = 0; i < 60; i++) {
      ids.push(
        await appendLog(registry.client, 'table_files', 'INSERT', undefined, images.table_files(i, i % 4)),
      );
    }
    const pass = await drain(deps(queues, { retryBaseMs: 1, retryMaxMs: 4, entriesPerCall: 10 }));
    expect(pass).toMatchObject({ rows: 60, committed: true });
    expect(pass.retries).toBeGreaterThan(0);
    for (const component of ['iceberg_updater', 'compactor', 'snapshotter'] as const) {
      const delivered = (queues[component].inner as FifoSink).messages;
      expect(delivered.map((m) => Number(m.deduplicationId)).sort((a, b) => a - b)).toEqual(ids);
      for (let table = 0; table < 4; table++) {
        const perTable = delivered
          .filter((m) => m.groupId === `table-${table}`)
          .map((m) => Number(m.deduplicationId));
        expect(perTable).toEqual(ids.filter((_, i) => i % 4 === table));
      }
    }
  });

  it('fails only the tables whose call failed; the others are delivered, nothing is deleted', async () => {
    const queues = componentQueues((c) => new FaultyQueue(new FifoSink(c)));
    // metadata_orchestrator's second call (the second table) fails, with no retries allowed.
    queues.metadata_orchestrator.failEvery = 2;
    const ids = await appendLogs(
      registry.client,
      Array.from({ length: 30 }, (_, i) => [
        'tables',
        'UPDATE',
        images.tables(i < 15 ? 7 : 8),
        images.tables(i < 15 ? 7 : 8),
      ]),
    );
    const pass = await drain(deps(queues, { maxSendRetries: 0, entriesPerCall: 10 }));
    expect(pass.committed).toBe(false);
    expect(pass.components.metadata_orchestrator).toMatchObject({ sent: 15, failed: 15 });
    const delivered = (queues.metadata_orchestrator.inner as FifoSink).messages;
    expect(delivered.map((m) => Number(m.deduplicationId))).toEqual(ids.slice(0, 15));
    expect(new Set(delivered.map((m) => m.groupId))).toEqual(new Set(['table-7']));
    expect(await logIds(registry.client)).toEqual(ids);
  });

  it('packs whole tables into calls: a table never spans two calls, order within it is kept', () => {
    const message = (id: number, table: number) => ({ id: String(id), body: 'b', groupId: `table-${table}` });
    const messages = [
      message(1, 1),
      message(2, 2),
      message(3, 1),
      message(4, 3),
      message(5, 2),
      message(6, 3),
    ];
    expect(packCalls(messages, 4).map((call) => call.map((m) => m.id))).toEqual([
      ['1', '3', '2', '5'],
      ['4', '6'],
    ]);
    expect(packCalls(messages, 1).map((call) => call.map((m) => m.id))).toEqual([
      ['1', '3'],
      ['2', '5'],
      ['4', '6'],
    ]);
    expect(packCalls(messages, 100)).toHaveLength(1);
  });
});
