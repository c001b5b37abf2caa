/**
 * End to end on LocalStack with catalog_sync deployed, in the runtime's queues mode: S3 put →
 * notification → registration → drain → commit → catalog_sync on its own FIFO queue updates the
 * Glue emulator, and PyIceberg's Glue catalog finds the table by name and reads every row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { silentLogger } from '../../lib/log.js';
import { type BuiltRuntime, buildRuntime, RUNTIME_COMPONENTS } from '../../lib/runtime/runtimeFromConfig.js';
import { DATABASE_PREFIX, motoTable, readThroughGlue } from '../catalogSync/glueHarness.js';
import { readTables, s3Access } from '../conformance/readers.js';
import { type GlueEmulator, startGlueEmulator } from '../harness/glueEmulator.js';
import { localstack } from '../harness/services.js';
import { createLocalstackStack } from './localstackStack.js';
import { inParallel, type LandedFile, pollUntil, scenarioFiles, waitForLanded } from './scenario.js';

const PREFIX = 'warehouse/';
const DB = `${DATABASE_PREFIX}shop`;

let dir: string;
let bucket: string;
let s3: S3Client;
let built: BuiltRuntime;
let emulator: GlueEmulator;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'astha-e2e-glue-'));
  emulator = await startGlueEmulator();
  const { credentials } = localstack();
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  const stack = await createLocalstackStack(localstack(), dir, PREFIX, [
    ...RUNTIME_COMPONENTS,
    'catalog_sync',
  ]);
  s3 = stack.s3;
  bucket = stack.bucket;
  const config = loadConfig({
    ...stack.env,
    ASTHA_GLUE_DATABASE_PREFIX: DATABASE_PREFIX,
    ASTHA_GLUE_ENDPOINT: emulator.endpoint,
  });
  built = await buildRuntime(config, silentLogger(), { drainPeriodMs: 500, failedVisibilitySeconds: 1 });
  expect(built.mode).toBe('queues');
  built.runtime.start(built.known);
}, 60_000);

afterAll(async () => {
  await built?.runtime.stop();
  built?.deps.close();
  await emulator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function upload(files: LandedFile[]): Promise<void> {
  await inParallel(files, 8, (f) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}${f.key}`, Body: f.body })),
  );
}

/** Waits until every file is committed and Glue points at the registry's current metadata. */
async function glueInStep(count: number) {
  const settled = await waitForLanded(built.observer, count, 90_000, 500);
  expect(settled.files).toMatchObject({ inTable: count, rejected: 0, inFlight: 0 });
  const current = async () => (await built.observer.tableByName('shop', 'orders'))?.metadata_location;
  const seen = await pollUntil(
    async () => ({ registry: await current(), glue: await motoTable(emulator, DB, 'orders') }),
    ({ registry, glue }) => registry !== undefined && glue?.Parameters.metadata_location === registry,
    30_000,
    300,
  );
  expect(seen.glue?.Parameters.metadata_location).toBe(seen.registry);
  return { location: seen.registry!, table: seen.glue! };
}

describe('queues mode with catalog_sync', () => {
  const files = scenarioFiles('shop/orders', 12);

  it('S3 put → registration → commit → Glue updated; PyIceberg finds the table by name and reads every row', {
    timeout: 180_000,
  }, async () => {
    await upload(files.slice(0, 8));
    const first = await glueInStep(8);
    expect(first.table.Parameters.table_type).toBe('ICEBERG');

    await upload(files.slice(8));
    const second = await glueInStep(12);
    expect(second.location).not.toBe(first.location);
    // catalog_sync may have seen versions in between; the previous pointer is one it published.
    expect(second.table.Parameters.previous_metadata_location).toMatch(/\/shop\/orders\/metadata\//);
    expect(second.table.Parameters.previous_metadata_location).not.toBe(second.location);

    const s3 = s3Access(localstack());
    const [viaGlue] = await readThroughGlue(emulator, s3, [{ database: DB, table: 'orders' }]);
    const [direct] = await readTables([{ mode: 'pyiceberg', metadata: second.location }], s3);
    expect(viaGlue?.error).toBeUndefined();
    expect(viaGlue?.rows).toBe(files.reduce((n, f) => n + f.ids.length, 0));
    expect({ rows: viaGlue?.rows, checksum: viaGlue?.checksum }).toEqual({
      rows: direct?.rows,
      checksum: direct?.checksum,
    });
  });
});
