/**
 * One key rule for every way a key reaches registration: an S3 notification (the register
 * handler), the local watcher and `astha register` (registerBatch) decide the same keys the same
 * way and record the same reasons; a key no store can address is a recorded rejection, never a
 * notification retried until the dead-letter queue.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { s3ClientConfig } from '../../lib/aws/awsOptions.js';
import { silentLogger } from '../../lib/log.js';
import { createRegisterHandler } from '../../lib/register/registerHandler.js';
import { formatS3Notification, type ObjectChange } from '../../lib/register/s3Notification.js';
import { openRegistry, type Registry } from '../../lib/registry/registry.js';
import { WarehouseWatcher } from '../../lib/runtime/warehouseWatcher.js';
import { openStore } from '../../lib/store/openStore.js';
import { localstack, uniqueName } from '../harness/services.js';
import { sqsRecord } from '../lambda/sqsRecords.js';
import { ordersParquet } from '../registry/parquetFiles.js';

let dir: string;
const registries: Registry[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'astha-keyrules-'));
});
afterEach(() => {
  for (const registry of registries.splice(0)) registry.close();
  rmSync(dir, { recursive: true, force: true });
});

async function registryAt(name: string): Promise<Registry> {
  const registry = await openRegistry(`file:${join(dir, `${name}.db`)}`);
  registries.push(registry);
  return registry;
}

/** Written straight to the directory: the store itself refuses to write some of these keys. */
function land(key: string, bytes: Uint8Array): void {
  const path = join(dir, 'warehouse', key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** Every recorded outcome per key: file rows (state and reason) and rejection records. */
async function recorded(registry: Registry): Promise<Record<string, string>> {
  const files = await registry.client.execute('SELECT path, iceberg_state, reject_reason FROM table_files');
  const rejections = await registry.client.execute('SELECT key, reason FROM rejected_objects');
  return Object.fromEntries([
    ...files.rows.map((r) => [String(r.path), `${r.iceberg_state}: ${r.reject_reason ?? ''}`]),
    ...rejections.rows.map((r) => [String(r.key), `rejected object: ${r.reason}`]),
  ]);
}

describe('warehouse key rules', () => {
  it('records a backslash key on S3 as rejected, without failing the notification, beside a good file', async () => {
    const registry = await registryAt('registry');
    const info = localstack();
    const client = new S3Client(s3ClientConfig(info));
    const bucket = uniqueName('keyrules');
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const store = openStore(`s3://${bucket}/wh`, { s3Client: client });
    const handler = createRegisterHandler({
      registry,
      store,
      bucket,
      warehousePrefix: 'wh',
      logger: silentLogger(),
    });
    const bytes = ordersParquet(5);
    const keys = ['wh/sales/orders/data/good.parquet', 'wh/sales/orders/data/a\\b.parquet'];
    const records = [];
    for (const [i, key] of keys.entries()) {
      // S3 takes the key as it is; astha's store refuses to address it.
      const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
      const change = {
        kind: 'created' as const,
        bucket,
        key,
        size: bytes.length,
        etag: put.ETag ?? '',
        sequencer: '01',
        eventTime: new Date().toISOString(),
      };
      records.push(sqsRecord(formatS3Notification(change), { messageId: `m${i}` }));
    }
    const response = await handler({ Records: records });
    expect(response.batchItemFailures).toEqual([]);
    const outcomes = await recorded(registry);
    expect(outcomes['sales/orders/data/good.parquet']).toBe('pending: ');
    expect(outcomes['wh/sales/orders/data/a\\b.parquet']).toMatch(
      /rejected object: key contains a backslash/,
    );
  });

  it('the watcher and `astha register` announce and record the same keys with the same reasons', async () => {
    const good = ordersParquet(4);
    const keys = [
      'sales/orders/data/good.parquet',
      '_staging/orders/data/a.parquet',
      'sales/orders/data/upper.PARQUET',
      'sales/orders/data/notes.csv',
      'sales/orders/data/_SUCCESS',
      'sales/orders/data/_temporary/0/part-0.parquet',
      'sales/orders/data/.part-0.parquet.crc',
    ];
    for (const key of keys) land(key, good);
    const store = openStore(`file://${join(dir, 'warehouse')}`);

    // The watcher's changes go through the register handler, as `astha start` wires them.
    const watched = await registryAt('watched');
    const handler = createRegisterHandler({
      registry: watched,
      store,
      bucket: 'local',
      warehousePrefix: '',
      logger: silentLogger(),
    });
    const emitted: ObjectChange[] = [];
    const watcher = new WarehouseWatcher({
      store,
      bucket: 'local',
      logger: silentLogger(),
      quietMs: 0,
      emit: async (changes) => {
        emitted.push(...changes);
        const records = changes.map((c, i) => sqsRecord(formatS3Notification(c), { messageId: `w${i}` }));
        const response = await handler({ Records: records });
        expect(response.batchItemFailures).toEqual([]);
      },
    });
    await watcher.scanOnce();

    // `astha register` names every key explicitly.
    const direct = await registryAt('direct');
    const listed = new Map<string, string>();
    for await (const object of store.list('')) listed.set(object.key, object.etag);
    const outcomes = await direct.registerBatch(
      keys.map((key) => ({ bucket: 'local', key, size: good.length, etag: listed.get(key) ?? '' })),
      store,
    );
    const ignored = outcomes.filter((o) => o.status === 'ignored').map((o) => o.object.key);

    expect(emitted.map((c) => c.key).sort()).toEqual(keys.filter((k) => !ignored.includes(k)).sort());
    expect(ignored.sort()).toEqual([
      'sales/orders/data/.part-0.parquet.crc',
      'sales/orders/data/_SUCCESS',
      'sales/orders/data/_temporary/0/part-0.parquet',
    ]);
    const seen = await recorded(watched);
    expect(seen).toEqual(await recorded(direct));
    expect(seen['sales/orders/data/good.parquet']).toBe('pending: ');
    expect(seen['_staging/orders/data/a.parquet']).toBe('pending: ');
    expect(seen['sales/orders/data/upper.PARQUET']).toMatch(/must end in lower-case \.parquet/);
    expect(seen['sales/orders/data/notes.csv']).toMatch(/does not end in \.parquet/);
  });
});
