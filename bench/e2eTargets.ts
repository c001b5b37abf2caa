/**
 * Where bench/e2e lands files and how astha is configured to find them:
 * - `embeddedTarget`: the embedded default (a `file:` registry and a warehouse directory, files
 *   written under a hidden name and renamed so each appears whole, like an S3 PutObject);
 * - `latencyTarget`: the deployed shape on LocalStack (S3 notifications → SQS → the runtime in
 *   queues mode, a `sqld` registry over HTTP) with a latency proxy in front of the registry and
 *   of LocalStack (S3 and SQS), counting round trips through each.
 */
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { RUNTIME_COMPONENTS } from '../lib/runtime/runtimeFromConfig.js';
import { startSqld } from '../test/harness/processes.js';
import { createLocalstackStack } from '../test/e2e/localstackStack.js';
import { awsService, registryRequest, startLatencyProxy } from './latencyProxy.js';

export interface Arrival {
  key: string;
  body: Uint8Array;
  landedAt: number;
}

export interface BenchTarget {
  label: string;
  /** The environment `astha start` runs with (besides the caller's). */
  env: Record<string, string>;
  /** The registry URL the bench reads results from (never through a proxy). */
  observeRegistryUrl: string;
  /** Lands one file and sets `landedAt` when it is whole in the store. */
  land(arrival: Arrival): Promise<void>;
  metadataBytes(location: string): Promise<number>;
  /** Round trips through the proxies so far, by kind (empty without proxies). */
  roundTrips(): Record<string, number>;
  /** The services' own answer times behind the proxies, by kind (empty without proxies). */
  serviceTimes(): Record<string, number[]>;
  close(): Promise<void>;
}

export function embeddedTarget(dir: string): BenchTarget {
  const warehouse = join(dir, 'warehouse');
  const registryUrl = `file:${join(dir, 'registry.db')}`;
  return {
    label: 'embedded default',
    env: { ASTHA_REGISTRY_URL: registryUrl, ASTHA_WAREHOUSE: `file://${warehouse}` },
    observeRegistryUrl: registryUrl,
    land: async (arrival) => {
      const target = join(warehouse, arrival.key);
      mkdirSync(dirname(target), { recursive: true });
      const temporary = join(dirname(target), `.${arrival.key.split('/').pop()}.tmp`);
      writeFileSync(temporary, arrival.body);
      renameSync(temporary, target);
      arrival.landedAt = Date.now();
    },
    metadataBytes: async (location) => statSync(fileURLToPath(location)).size,
    roundTrips: () => ({}),
    serviceTimes: () => ({}),
    close: async () => undefined,
  };
}

const LOCALSTACK = {
  endpoint: 'http://127.0.0.1:4566',
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
};
const PREFIX = 'warehouse/';

export async function latencyTarget(dir: string, registryMs: number, storeMs: number): Promise<BenchTarget> {
  const sqld = await startSqld();
  const registryProxy = await startLatencyProxy({
    target: sqld.url,
    delayMs: registryMs,
    classify: registryRequest,
  });
  const awsProxy = await startLatencyProxy({
    target: LOCALSTACK.endpoint,
    delayMs: storeMs,
    classify: awsService,
  });
  const stack = await createLocalstackStack(LOCALSTACK, dir, PREFIX, RUNTIME_COMPONENTS);
  return {
    label: `LocalStack S3/SQS +${storeMs} ms and sqld +${registryMs} ms through a latency proxy, queues mode`,
    env: {
      ...stack.env,
      AWS_ENDPOINT_URL: awsProxy.url,
      AWS_ACCESS_KEY_ID: LOCALSTACK.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCALSTACK.credentials.secretAccessKey,
      ASTHA_REGISTRY_URL: registryProxy.url,
    },
    observeRegistryUrl: sqld.url,
    land: async (arrival) => {
      // Landed directly (the user's PutObject is not astha's round trip).
      const put = new PutObjectCommand({
        Bucket: stack.bucket,
        Key: `${PREFIX}${arrival.key}`,
        Body: arrival.body,
      });
      await stack.s3.send(put);
      arrival.landedAt = Date.now();
    },
    metadataBytes: async (location) => {
      const key = new URL(location).pathname.slice(1);
      const head = await stack.s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key }));
      return head.ContentLength ?? Number.NaN;
    },
    roundTrips: () => ({ ...registryProxy.counts(), ...awsProxy.counts() }),
    serviceTimes: () => ({ ...registryProxy.serviceTimes(), ...awsProxy.serviceTimes() }),
    close: async () => {
      await registryProxy.close();
      await awsProxy.close();
      await sqld.stop();
    },
  };
}
