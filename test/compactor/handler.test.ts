import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { wakes } from '../../lib/astha/wakes.js';
import { expect, it } from 'vitest';
import { convertBatch, readBatch } from '../../lib/astha/drain.js';
import { loadTable } from '../../lib/iceberg/commit/loadTable.js';
import { commitPending } from '../../lib/iceberg/commitPending.js';
import { sqsRecord } from '../lambda/sqsRecords.js';
import { ordersParquet } from '../registry/parquetFiles.js';
import { handlerEnvironment } from '../lambda/handlerEnvironment.js';

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const env = handlerEnvironment('astha-compactor-handler-');

function context(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'astha-compactor',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:astha-compactor',
    memoryLimitInMB: '2048',
    awsRequestId: 'request-1',
    logGroupName: '/aws/lambda/astha-compactor',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 300_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function queuedForCompactor(): Promise<SQSRecord[]> {
  const records: SQSRecord[] = [];
  for (;;) {
    const rows = await readBatch(env.registry.client, 500);
    if (rows.length === 0) return records;
    const batch = convertBatch(rows, wakes);
    for (const m of batch.outgoing.get('compactor') ?? []) {
      records.push(sqsRecord(m.body, { messageId: `compactor-${m.id}`, groupId: m.groupId ?? '' }));
    }
    await env.registry.client.execute({ sql: 'DELETE FROM __cdc_log WHERE id <= ?', args: [batch.lastId] });
  }
}

it('compactor: commit events compact the table; a poison message fails alone', async () => {
  const refs = [];
  for (let i = 0; i < 6; i++) {
    const key = `sales/orders/data/f${i}.parquet`;
    const info = await env.store.put(key, ordersParquet(10, { firstId: i * 10 + 1 }));
    refs.push({ bucket: 'local', key, size: info.size, etag: info.etag });
  }
  await env.registry.registerBatch(refs, env.store);
  const tableId = (await env.registry.tableByName('sales', 'orders'))!.id;
  await commitPending(tableId, { registry: env.registry, store: env.store });
  const records = await queuedForCompactor();
  expect(records.length).toBeGreaterThan(0);
  const poison = sqsRecord('{"kind":"change","id":"x"}', { messageId: 'poison', groupId: 'table-999' });
  const { handler } = (await import('../../functions/compactor.js')) as { handler: Handler };

  const response = await handler({ Records: [...records, poison] }, context());

  expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'poison' }] });
  const row = await env.registry.tableById(tableId);
  const loaded = await loadTable(env.store, { keyPrefix: row!.key_prefix, location: row!.location });
  expect(loaded!.metadata.snapshots.at(-1)!.summary).toMatchObject({
    operation: 'replace',
    'deleted-data-files': '6',
    'added-data-files': '1',
    'total-records': '60',
  });
  expect(row!.file_count).toBe(1);
});
