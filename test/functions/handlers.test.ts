import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { wakes } from '../../lib/astha/wakes.js';
import { describe, expect, it } from 'vitest';
import { convertBatch, readBatch } from '../../lib/astha/drain.js';
import type { Component } from '../../lib/astha/subscriptions.js';
import { formatS3Notification } from '../../lib/register/s3Notification.js';
import { sqsRecord } from '../lambda/sqsRecords.js';
import { ordersParquet } from '../registry/parquetFiles.js';
import { handlerEnvironment } from '../lambda/handlerEnvironment.js';

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const env = handlerEnvironment('astha-handlers-');

/** Imported only after the environment is set: the modules read it once, at load. */
const MODULES = {
  register: () => import('../../functions/register.js'),
  'metadata-orchestrator': () => import('../../functions/metadata-orchestrator.js'),
  'iceberg-updater': () => import('../../functions/iceberg-updater.js'),
};

async function load(name: keyof typeof MODULES): Promise<Handler> {
  return ((await MODULES[name]()) as { handler: Handler }).handler;
}

function context(name: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: 'request-1',
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function upload(key: string, bytes: Uint8Array) {
  const info = await env.store.put(key, bytes);
  return { bucket: 'local', key, size: info.size, etag: info.etag };
}

/** The CDC log as the drainer would send it to `component`'s FIFO queue. */
async function queued(component: Component): Promise<SQSRecord[]> {
  const batch = convertBatch(await readBatch(env.registry.client, 500), wakes);
  return (batch.outgoing.get(component) ?? []).map((m) =>
    sqsRecord(m.body, { messageId: `${component}-${m.id}`, groupId: m.groupId ?? '' }),
  );
}

const poison = (groupId: string) => sqsRecord('{"kind":"change","id":"x"}', { messageId: 'poison', groupId });

describe('functions', () => {
  it('register: registers notified objects and fails only the unreadable record', async () => {
    const handler = await load('register');
    const object = await upload('sales/orders/data/a.parquet', ordersParquet(5));
    const notification = formatS3Notification({
      kind: 'created',
      ...object,
      sequencer: '01',
      eventTime: new Date().toISOString(),
    });
    const records = [
      sqsRecord(notification, { messageId: 'a' }),
      sqsRecord(JSON.stringify({ Event: 's3:TestEvent', Bucket: 'local' }), { messageId: 'test' }),
      sqsRecord('not json', { messageId: 'poison' }),
    ];
    const response = await handler({ Records: records }, context('astha-register'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'poison' }] });
    expect(
      (await env.registry.pendingFiles((await env.registry.tableByName('sales', 'orders'))!.id)).length,
    ).toBe(1);
  });

  it('metadata-orchestrator: creates the table from its events; a poison message fails alone', async () => {
    const handler = await load('metadata-orchestrator');
    await env.registry.registerObject(
      await upload('sales/orders/data/a.parquet', ordersParquet(5)),
      env.store,
    );
    const records = [...(await queued('metadata_orchestrator')), poison('table-99')];
    const response = await handler({ Records: records }, context('astha-metadata-orchestrator'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'poison' }] });
    const table = await env.registry.tableByName('sales', 'orders');
    expect(table?.metadata_version).toBe(1);
    expect(await env.store.head('sales/orders/metadata/v1.metadata.json')).toBeDefined();
  });

  it('iceberg-updater: a poison message stops its table group; redelivered without it, the file commits', async () => {
    const handler = await load('iceberg-updater');
    await env.registry.registerObject(
      await upload('sales/orders/data/a.parquet', ordersParquet(5)),
      env.store,
    );
    const records = await queued('iceberg_updater');
    const group = records[0]?.attributes.MessageGroupId ?? '';
    expect(records.every((r) => r.attributes.MessageGroupId === group)).toBe(true);

    const blocked = await handler({ Records: [poison(group), ...records] }, context('astha-iceberg-updater'));
    expect(blocked.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      'poison',
      ...records.map((r) => r.messageId),
    ]);
    expect((await env.registry.filesByState('pending')).length).toBe(1);

    const redelivered = await handler({ Records: records }, context('astha-iceberg-updater'));
    expect(redelivered).toEqual({ batchItemFailures: [] });
    expect((await env.registry.filesByState('committed')).length).toBe(1);
  });
});
