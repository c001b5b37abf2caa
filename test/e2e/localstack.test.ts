/**
 * End to end on LocalStack, wired as the CDK stack wires AWS: the bucket notifies a standard
 * SQS queue of ObjectCreated/ObjectRemoved under the warehouse prefix; FIFO component queues
 * redrive to dead-letter queues after 30 receives; the local runtime polls them like Lambda
 * event-source mappings. Files are uploaded with plain PutObject calls, so every registration
 * comes from a notification S3 itself sent. PyIceberg then reads the table from S3.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { silentLogger } from '../../lib/log.js';
import { type BuiltRuntime, buildRuntime, RUNTIME_COMPONENTS } from '../../lib/runtime/runtimeFromConfig.js';
import { localstack } from '../harness/services.js';
import { createLocalstackStack } from './localstackStack.js';
import {
  inParallel,
  pollUntil,
  scenarioFiles,
  summarizeTable,
  type TableSummary,
  userFiles,
  waitForLanded,
} from './scenario.js';

const PREFIX = 'warehouse/';

let dir: string;
let bucket: string;
let s3: S3Client;
let built: BuiltRuntime;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'astha-e2e-ls-'));
  // The adapters take credentials from the SDK's default chain, as a Lambda does from its role.
  const { credentials } = localstack();
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  const stack = await createLocalstackStack(localstack(), dir, PREFIX, RUNTIME_COMPONENTS);
  s3 = stack.s3;
  bucket = stack.bucket;
  const config = loadConfig(stack.env);
  built = await buildRuntime(config, silentLogger(), { drainPeriodMs: 1000, failedVisibilitySeconds: 1 });
  expect(built.mode).toBe('queues');
  built.runtime.start(built.known);
});

afterAll(async () => {
  await built?.runtime.stop();
  built?.deps.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Polls until `count` landed files are in the table (or rejected) and nothing is in flight. */
function waitForFiles(count: number, timeoutMs: number) {
  return waitForLanded(built.observer, count, timeoutMs, 500);
}

async function currentMetadata(): Promise<string> {
  const table = await built.observer.tableByName('e2e', 'events');
  expect(table?.metadata_location).toMatch(new RegExp(`^s3://${bucket}/${PREFIX}e2e/events/metadata/`));
  return table!.metadata_location!;
}

describe('LocalStack end to end (S3 notifications → SQS → runtime)', () => {
  const files = scenarioFiles();
  const { endpoint } = localstack();

  it('registers, drains and commits 200 uploaded files; PyIceberg reads exactly them from S3', {
    timeout: 300_000,
  }, async () => {
    await inParallel(files, 16, (f) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}${f.key}`, Body: f.body })),
    );
    const settled = await waitForFiles(200, 200_000);
    expect(settled.files).toMatchObject({ inTable: 200, rejected: 0, inFlight: 0 });
    // Four day partitions of 50 tiny files each: the compactor (on its own SQS queue) folds them.
    const compacted = await pollUntil(
      () => userFiles(built.observer),
      (f) => f.compactedAway > 0,
      60_000,
      500,
    );
    expect(compacted.compactedAway).toBeGreaterThan(0);

    const summary = await summarizeTable(await currentMetadata(), endpoint);
    const expectedIds = files.flatMap((f) => f.ids).sort((a, b) => a - b);
    expect(summary.rows).toBe(expectedIds.length);
    expect(summary.ids).toEqual(expectedIds);
    expect(summary.columns).toEqual(expect.arrayContaining(['id', 'customer', 'amount', 'note', 'day']));
    expect(summary.non_null.note).toBe(files.filter((f) => f.hasNote).length * 5);
    // Live files: landed objects not compacted yet, and compaction outputs in the same partitions.
    const landedUris = new Set(files.map((f) => `s3://${bucket}/${PREFIX}${f.key}`));
    const outputs = summary.files.filter((f) => !landedUris.has(f));
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      expect(output).toMatch(
        new RegExp(`^s3://${bucket}/${PREFIX}e2e/events/data/day=[^/]+/_astha-compacted-`),
      );
    }
    expect(summary.files.length).toBeLessThan(200);
  });

  it("drops a deleted object's rows from the table after it was compacted", {
    timeout: 120_000,
  }, async () => {
    const replaced = await built.observer.client.execute(
      `SELECT path FROM table_files WHERE astha_written = 0 AND iceberg_state = 'removed'
        AND EXISTS (SELECT 1 FROM compacted_rows c WHERE c.source_file_id = table_files.id) ORDER BY id LIMIT 1`,
    );
    const victim = files.find((f) => f.key === String(replaced.rows[0]?.path))!;
    expect(victim).toBeDefined();
    const before = await currentMetadata();
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${PREFIX}${victim.key}` }));
    const deadline = Date.now() + 90_000;
    let summary: TableSummary | undefined;
    let seen = before;
    while (Date.now() < deadline) {
      const now = await currentMetadata();
      if (now !== seen) {
        seen = now;
        summary = await summarizeTable(now, endpoint);
        if (summary.rows === 995) break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    if (!summary) throw new Error('no snapshot without the deleted object was committed within 90 s');
    expect(summary.files).not.toContain(`s3://${bucket}/${PREFIX}${victim.key}`);
    for (const id of victim.ids) expect(summary.ids).not.toContain(id);
    expect(summary.rows).toBe(995);
  });
});
