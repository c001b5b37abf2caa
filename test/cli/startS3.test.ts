/**
 * `astha start` on an s3:// warehouse without queues (embedded mode, LocalStack): no S3
 * notifications arrive there, so files put into the bucket after start must be found by
 * listing it on a schedule and committed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ClientConfig } from '../../lib/aws/awsOptions.js';
import { localstack, uniqueName } from '../harness/services.js';
import { ordersParquet } from '../registry/parquetFiles.js';
import { asthaArgv, bareEnv, runAstha } from './runAstha.js';
import { type Started, startProcess } from './startedAstha.js';

let cwd: string;
let start: Started | undefined;
afterAll(() => {
  if (start?.child.exitCode === null) start.child.kill('SIGKILL');
  rmSync(cwd, { recursive: true, force: true });
});
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'astha-s3-'));
});

describe('astha start on an s3:// warehouse', () => {
  it('commits a file put into the bucket after it started', { timeout: 120_000 }, async () => {
    const info = localstack();
    const bucket = uniqueName('cli-s3');
    const s3 = new S3Client(s3ClientConfig({ ...info }));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const env = {
      AWS_ENDPOINT_URL: info.endpoint,
      AWS_REGION: info.region,
      AWS_ACCESS_KEY_ID: info.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: info.credentials.secretAccessKey,
      ASTHA_WAREHOUSE: `s3://${bucket}/lake`,
    };
    const [node, ...args] = asthaArgv();
    start = startProcess(node!, [...args, 'start', '--no-sample'], { cwd, env: bareEnv(cwd, env) });
    await start.waitFor(/put Parquet files under/);
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'lake/shop/orders/data/a.parquet',
        Body: ordersParquet(7),
      }),
    );
    let committed: unknown;
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline && committed === undefined) {
      const tables = await runAstha(cwd, ['tables', '--json'], 30_000, env);
      committed = (
        JSON.parse(tables.stdout || '[]') as { table: string; files: number; pending: number }[]
      ).find((t) => t.table === 'shop.orders' && t.files === 1 && t.pending === 0);
    }
    expect(committed).toMatchObject({ table: 'shop.orders', rows: 7 });
    start.child.kill('SIGINT');
    expect(await start.exited(20_000)).toBe(0);
  });
});
