import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import { createRegisterHandler, type RegisterHandler } from '../../lib/register/registerHandler.js';
import { formatS3Notification } from '../../lib/register/s3Notification.js';
import { openRegistry, type Registry } from '../../lib/registry/registry.js';
import { openStore } from '../../lib/store/openStore.js';
import type { ObjectStore } from '../../lib/store/objectStore.js';
import { sqsRecord } from '../lambda/sqsRecords.js';
import { ordersParquet } from '../registry/parquetFiles.js';

let dir: string;
let registry: Registry;
let store: ObjectStore;
let handler: RegisterHandler;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'astha-register-'));
  registry = await openRegistry(`file:${join(dir, 'registry.db')}`);
  store = openStore(`file://${join(dir, 'warehouse')}`);
  handler = createRegisterHandler({
    registry,
    store,
    bucket: 'lake',
    warehousePrefix: '',
    logger: silentLogger(),
  });
});

afterEach(() => {
  registry.close();
  rmSync(dir, { recursive: true, force: true });
});

async function created(key: string, body: Uint8Array) {
  const info = await store.put(key, body);
  const notification = {
    kind: 'created' as const,
    bucket: 'lake',
    key,
    size: info.size,
    etag: info.etag,
    sequencer: '01',
    eventTime: new Date().toISOString(),
  };
  return sqsRecord(formatS3Notification(notification), { messageId: key });
}

describe('register handler', () => {
  it('registers good files, rejects broken ones and fails only unreadable records', async () => {
    const good = await created('sales/orders/data/a.parquet', ordersParquet(10));
    const good2 = await created('sales/orders/data/b.parquet', ordersParquet(5, { firstId: 100 }));
    const broken = await created('sales/orders/data/broken.parquet', new TextEncoder().encode('not parquet'));
    const testEvent = sqsRecord(JSON.stringify({ Event: 's3:TestEvent', Bucket: 'lake' }), {
      messageId: 'test',
    });
    const garbage = sqsRecord('{oops', { messageId: 'garbage' });
    const response = await handler({ Records: [good, good2, broken, testEvent, garbage] });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'garbage' }]);
    expect(response.summary).toMatchObject({ registered: 2, rejected: 1, failed: 1 });
    const table = await registry.tableByName('sales', 'orders');
    expect(table?.row_count).toBe(15);
    expect(table?.file_count).toBe(2);
    const rejected = await registry.filesByState('rejected');
    expect(rejected.map((f) => f.path)).toEqual(['sales/orders/data/broken.parquet']);
    expect(rejected[0]?.reject_reason).toMatch(/Parquet|magic|PAR1/i);
  });

  it('is idempotent under duplicate notifications and handles removal', async () => {
    const record = await created('sales/orders/data/a.parquet', ordersParquet(10));
    for (let i = 0; i < 5; i++) {
      const response = await handler({ Records: [record, { ...record, messageId: `dup${i}` }] });
      expect(response.batchItemFailures).toEqual([]);
    }
    const table = await registry.tableByName('sales', 'orders');
    expect(table?.file_count).toBe(1);
    expect(table?.row_count).toBe(10);

    await store.delete('sales/orders/data/a.parquet');
    const removal = formatS3Notification({
      kind: 'removed',
      bucket: 'lake',
      key: 'sales/orders/data/a.parquet',
      sequencer: '02',
      eventTime: new Date().toISOString(),
    });
    const response = await handler({ Records: [sqsRecord(removal, { messageId: 'rm' })] });
    expect(response.summary.removed).toBe(1);
    const after = await registry.tableByName('sales', 'orders');
    expect(after?.file_count).toBe(0);
    expect((await registry.filesByState('removed')).length).toBe(1);
  });

  it('ignores notifications for another bucket', async () => {
    const record = await created('sales/orders/data/a.parquet', ordersParquet(3));
    const other = { ...record, body: record.body.replace('"lake"', '"elsewhere"'), messageId: 'other' };
    const response = await handler({ Records: [other] });
    expect(response.batchItemFailures).toEqual([]);
    expect(response.summary.ignored).toBe(1);
    expect(await registry.tableByName('sales', 'orders')).toBeUndefined();
  });
});
