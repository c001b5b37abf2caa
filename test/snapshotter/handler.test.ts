import type { Context, ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../lib/astha/events.js';
import { requestSnapshot } from '../../lib/snapshotter/requestSnapshot.js';
import { fileStates } from '../iceberg/commit/commitFixtures.js';
import { sqsRecord } from '../lambda/sqsRecords.js';
import { ordersParquet } from '../registry/parquetFiles.js';
import { handlerEnvironment } from '../lambda/handlerEnvironment.js';
import { scheduledEvent } from '../lambda/lambdaContext.js';

type Handler = (event: SQSEvent | ScheduledEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

const env = handlerEnvironment('astha-snapshotter-fn-');

async function load(): Promise<Handler> {
  return ((await import('../../functions/snapshotter.js')) as unknown as { handler: Handler }).handler;
}

const context = { functionName: 'astha-snapshotter', getRemainingTimeInMillis: () => 60_000 } as Context;

/** Lands one order file in `ns.<name>` with `properties` on the table; returns the table id. */
async function batchingTable(name: string, properties: Record<string, string>): Promise<number> {
  const key = `ns/${name}/data/a.parquet`;
  const info = await env.store.put(key, ordersParquet(3));
  const outcome = await env.registry.registerObject(
    { bucket: 'local', key, size: info.size, etag: info.etag },
    env.store,
  );
  if (outcome.status !== 'registered') throw new Error(`not registered: ${JSON.stringify(outcome)}`);
  const tableId = (await env.registry.tableByName('ns', name))!.id;
  await env.registry.client.execute({
    sql: 'UPDATE table_metadata SET properties_json = ? WHERE table_id = ?',
    args: [JSON.stringify(properties), tableId],
  });
  return tableId;
}

const scheduled = scheduledEvent('tick-1');

describe('functions/snapshotter', () => {
  it('a scheduled invocation commits requested tables and leaves the others waiting', async () => {
    const requested = await batchingTable('requested', { 'astha.commit.min-files': '100' });
    const waiting = await batchingTable('waiting', { 'astha.commit.min-files': '100' });
    await requestSnapshot(env.registry, requested);
    const handler = await load();
    expect(await handler(scheduled, context)).toBeUndefined();
    expect(await fileStates(env.registry, requested)).toEqual({ committed: 1 });
    expect(await fileStates(env.registry, waiting)).toEqual({ pending: 1 });
  });

  it('a health message ticks; a poison message fails alone', async () => {
    const requested = await batchingTable('requested', { 'astha.commit.min-files': '100' });
    await requestSnapshot(env.registry, requested);
    const handler = await load();
    const health = encodeMessage({
      kind: 'health',
      component: 'snapshotter',
      id: 'health-1',
      timestamp: new Date().toISOString(),
    });
    const response = await handler(
      {
        Records: [
          sqsRecord('{"kind":"change","id":"x"}', { messageId: 'poison', groupId: 'table-99' }),
          sqsRecord(health, { messageId: 'health', groupId: 'control' }),
        ],
      },
      context,
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'poison' }] });
    expect(await fileStates(env.registry, requested)).toEqual({ committed: 1 });
  });
});
