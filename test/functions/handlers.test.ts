/**
 * The Lambda handler files as Lambda loads them: configuration from the environment (set
 * before the module is imported), dependencies built on the first invocation, an SQS event
 * and a context in, partial batch failures out. Registry and warehouse are real (a libSQL
 * file and a directory).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { convertBatch, readBatch } from '../../lib/astha/drain.js';
import type { Component } from '../../lib/astha/subscriptions.js';
import { formatS3Notification } from '../../lib/register/s3Notification.js';
import { openRegistry, type Registry } from '../../lib/registry/registry.js';
import type { ObjectStore } from '../../lib/store/objectStore.js';
import { openStore } from '../../lib/store/openStore.js';
import { sqsRecord } from '../lambda/sqsRecords.js';
import { ordersParquet } from '../registry/parquetFiles.js';

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

let dir: string;
let registry: Registry;
let store: ObjectStore;
const saved = { ...process.env };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'astha-handlers-'));
  const registryUrl = `file:${join(dir, 'registry.db')}`;
  const warehouse = pathToFileURL(join(dir, 'warehouse')).href;
  registry = await openRegistry(registryUrl);
  store = openStore(warehouse);
  process.env.ASTHA_REGISTRY_URL = registryUrl;
  process.env.ASTHA_WAREHOUSE = warehouse;
  process.env.ASTHA_LOG_LEVEL = 'silent';
  vi.resetModules();
});

afterEach(() => {
  registry.close();
  rmSync(dir, { recursive: true, force: true });
  process.env = { ...saved };
});

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
  const info = await store.put(key, bytes);
  return { bucket: 'local', key, size: info.size, etag: info.etag };
}

/** The CDC log as the drainer would send it to `component`'s FIFO queue. */
async function queued(component: Component): Promise<SQSRecord[]> {
  const batch = convertBatch(await readBatch(registry.client, 500));
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
    expect((await registry.pendingFiles((await registry.tableByName('sales', 'orders'))!.id)).length).toBe(1);
  });

  it('metadata-orchestrator: creates the table from its events; a poison message fails alone', async () => {
    const handler = await load('metadata-orchestrator');
    await registry.registerObject(await upload('sales/orders/data/a.parquet', ordersParquet(5)), store);
    const records = [...(await queued('metadata_orchestrator')), poison('table-99')];
    const response = await handler({ Records: records }, context('astha-metadata-orchestrator'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'poison' }] });
    const table = await registry.tableByName('sales', 'orders');
    expect(table?.metadata_version).toBe(1);
    expect(await store.head('sales/orders/metadata/v1.metadata.json')).toBeDefined();
  });

  it('iceberg-updater: a poison message stops its table group; redelivered without it, the file commits', async () => {
    const handler = await load('iceberg-updater');
    await registry.registerObject(await upload('sales/orders/data/a.parquet', ordersParquet(5)), store);
    const records = await queued('iceberg_updater');
    const group = records[0]?.attributes.MessageGroupId ?? '';
    expect(records.every((r) => r.attributes.MessageGroupId === group)).toBe(true);

    const blocked = await handler({ Records: [poison(group), ...records] }, context('astha-iceberg-updater'));
    expect(blocked.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      'poison',
      ...records.map((r) => r.messageId),
    ]);
    expect((await registry.filesByState('pending')).length).toBe(1);

    const redelivered = await handler({ Records: records }, context('astha-iceberg-updater'));
    expect(redelivered).toEqual({ batchItemFailures: [] });
    expect((await registry.filesByState('committed')).length).toBe(1);
  });
});
