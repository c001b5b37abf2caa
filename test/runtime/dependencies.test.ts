import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { s3ClientConfig } from '../../lib/aws/awsOptions.js';
import { loadConfig } from '../../lib/config.js';
import { silentLogger } from '../../lib/log.js';
import { MemoryQueue } from '../../lib/queue/memoryQueue.js';
import {
  type Dependencies,
  dependenciesOnce,
  openDependencies,
  resolveRegistryConnection,
  warehouseLocation,
} from '../../lib/runtime/dependencies.js';
import { localstack, uniqueName } from '../harness/services.js';

/**
 * A Secrets Manager endpoint on 127.0.0.1 speaking the service's JSON protocol, so the real
 * SDK client is exercised. `answers` are served in order (the last one repeats).
 */
interface FakeSecrets {
  endpoint: string;
  requests: { target: string; secretId: string }[];
  answers: { status: number; body: unknown }[];
  close(): Promise<void>;
}

async function fakeSecrets(): Promise<FakeSecrets> {
  const fake = { requests: [], answers: [] } as unknown as FakeSecrets;
  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    request.on('end', () => {
      const body = JSON.parse(text) as { SecretId: string };
      fake.requests.push({ target: String(request.headers['x-amz-target']), secretId: body.SecretId });
      const answer = fake.answers[Math.min(fake.requests.length, fake.answers.length) - 1]!;
      response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  fake.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((done) => server.close(() => done()));
  return fake;
}

function secretsClient(endpoint: string): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

function secretAnswer(value: unknown) {
  return { status: 200, body: { ARN: 'arn', Name: 'astha/libsql', SecretString: JSON.stringify(value) } };
}

let dir: string;
let secrets: FakeSecrets;
const opened: Dependencies[] = [];

beforeAll(async () => {
  secrets = await fakeSecrets();
});
afterAll(() => secrets.close());
afterEach(() => {
  for (const deps of opened.splice(0)) deps.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  secrets.requests.length = 0;
});

function tempDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'astha-deps-'));
  return dir;
}

/** A pino logger whose lines are kept, to check what was (not) logged. */
function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

describe('resolveRegistryConnection', () => {
  it('uses the configured URL and token when no secret is named', async () => {
    const config = loadConfig({ ASTHA_REGISTRY_URL: 'http://127.0.0.1:1', ASTHA_REGISTRY_AUTH_TOKEN: 't' });
    expect(await resolveRegistryConnection(config)).toEqual({ url: 'http://127.0.0.1:1', authToken: 't' });
  });

  it('reads the secret once per container and never puts the token in logs or errors', async () => {
    const root = tempDir();
    const token = 'sekret-token-0123456789';
    secrets.answers = [secretAnswer({ url: `file:${join(root, 'registry.db')}`, authToken: token })];
    const arn = `arn:aws:secretsmanager:us-east-1:000000000000:secret:${uniqueName('libsql')}`;
    const config = loadConfig({
      ASTHA_LIBSQL_SECRET_ARN: arn,
      ASTHA_WAREHOUSE: pathToFileURL(join(root, 'warehouse')).href,
    });
    const options = { secretsClient: secretsClient(secrets.endpoint) };
    const { logger, text } = capturingLogger();

    const deps = await openDependencies(config, logger, options);
    opened.push(deps);
    expect(await resolveRegistryConnection(config, options)).toEqual({
      url: `file:${join(root, 'registry.db')}`,
      authToken: token,
    });
    expect(secrets.requests).toEqual([{ target: 'secretsmanager.GetSecretValue', secretId: arn }]);
    expect(deps.registry.migration).toBeDefined();
    expect(text()).toContain('dependencies ready');
    expect(text()).not.toContain(token);
  });

  it('does not cache a failed read, and refuses a malformed secret without echoing it', async () => {
    const arn = `arn:aws:secretsmanager:us-east-1:000000000000:secret:${uniqueName('libsql')}`;
    const config = loadConfig({ ASTHA_LIBSQL_SECRET_ARN: arn });
    const options = { secretsClient: secretsClient(secrets.endpoint) };
    secrets.answers = [
      { status: 400, body: { __type: 'ResourceNotFoundException', message: 'no such secret' } },
      secretAnswer({ url: 42, authToken: 'leaky-token-987' }),
      secretAnswer({ url: 'libsql://db.example', authToken: 'good-token' }),
    ];
    await expect(resolveRegistryConnection(config, options)).rejects.toMatchObject({
      code: 'config',
      message: expect.stringMatching(/cannot read the libSQL secret .*no such secret/),
    });
    const malformed = await resolveRegistryConnection(config, options).catch((error: Error) => error);
    expect(malformed).toMatchObject({ code: 'config', message: expect.stringMatching(/no "url" string/) });
    expect(String((malformed as Error).message)).not.toContain('leaky-token-987');
    expect(await resolveRegistryConnection(config, options)).toEqual({
      url: 'libsql://db.example',
      authToken: 'good-token',
    });
    expect(await resolveRegistryConnection(config, options)).toMatchObject({ authToken: 'good-token' });
    expect(secrets.requests).toHaveLength(3);
  });
});

describe('warehouseLocation', () => {
  it('maps each warehouse form to a store URL, bucket and prefix', () => {
    expect(warehouseLocation('s3://lake/warehouse/')).toEqual({
      url: 's3://lake/warehouse',
      bucket: 'lake',
      prefix: 'warehouse',
    });
    expect(warehouseLocation('s3://lake')).toEqual({ url: 's3://lake/', bucket: 'lake', prefix: '' });
    expect(warehouseLocation('file:///srv/lake')).toEqual({
      url: 'file:///srv/lake',
      bucket: 'local',
      prefix: '',
    });
    const relative = pathToFileURL(resolve('warehouse')).href;
    expect(warehouseLocation('file://./warehouse').url).toBe(relative);
    expect(warehouseLocation('warehouse').url).toBe(relative);
    expect(warehouseLocation('memory://lake')).toEqual({
      url: 'memory://lake',
      bucket: 'memory',
      prefix: '',
    });
    expect(() => warehouseLocation('gs://lake/x')).toThrow(/ASTHA_WAREHOUSE must be/);
  });
});

describe('openDependencies', () => {
  it('opens a file registry, a directory warehouse and the configured queues', async () => {
    const root = tempDir();
    const env = {
      ASTHA_REGISTRY_URL: `file:${join(root, 'registry.db')}`,
      ASTHA_WAREHOUSE: pathToFileURL(join(root, 'warehouse')).href,
    };
    const queues = { iceberg_updater: `memory://${uniqueName('q')}?fifo=true` };
    const config = loadConfig({ ...env, ASTHA_COMPONENT_QUEUES: JSON.stringify(queues) });
    const deps = await openDependencies(config, silentLogger());
    opened.push(deps);
    expect(deps.warehouse).toEqual({
      url: pathToFileURL(join(root, 'warehouse')).href,
      bucket: 'local',
      prefix: '',
    });
    await deps.store.put('sales/orders/data/x.txt', 'hello');
    expect((await deps.store.head('sales/orders/data/x.txt'))?.size).toBe(5);
    expect(Object.keys(deps.queues)).toEqual(['iceberg_updater']);
    expect(deps.queues.iceberg_updater).toBeInstanceOf(MemoryQueue);
    expect((await deps.registry.status()).tables).toBe(0);

    const bad = loadConfig({ ...env, ASTHA_COMPONENT_QUEUES: JSON.stringify({ nope: 'memory://x' }) });
    await expect(openDependencies(bad, silentLogger())).rejects.toThrow(/unknown component "nope"/);
  });

  it('roots an S3 warehouse at its prefix (LocalStack)', async () => {
    const info = localstack();
    const bucket = uniqueName('deps');
    const s3 = new S3Client(s3ClientConfig({ ...info }));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const root = tempDir();
    const config = loadConfig({
      ASTHA_REGISTRY_URL: `file:${join(root, 'registry.db')}`,
      ASTHA_WAREHOUSE: `s3://${bucket}/lake/`,
      AWS_ENDPOINT_URL: info.endpoint,
    });
    // The SDK's default chain finds LocalStack's credentials in the environment, as in Lambda.
    process.env.AWS_ACCESS_KEY_ID = info.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = info.credentials.secretAccessKey;
    const deps = await openDependencies(config, silentLogger());
    opened.push(deps);
    expect(deps.warehouse).toEqual({ url: `s3://${bucket}/lake`, bucket, prefix: 'lake' });
    await deps.store.put('sales/orders/data/x.txt', 'hello');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['lake/sales/orders/data/x.txt']);
  });

  it('dependenciesOnce builds once and retries a failed start', async () => {
    const root = tempDir();
    // The registry's directory is created on first use, so block it with a plain file.
    const blocker = join(root, 'blocked');
    writeFileSync(blocker, 'not a directory');
    const registryFile = join(blocker, 'registry.db');
    const config = loadConfig({
      ASTHA_REGISTRY_URL: `file:${registryFile}`,
      ASTHA_WAREHOUSE: pathToFileURL(join(root, 'warehouse')).href,
    });
    const ready = dependenciesOnce(config, silentLogger());
    await expect(ready()).rejects.toThrow();
    rmSync(blocker);
    const first = await ready();
    opened.push(first);
    expect(await ready()).toBe(first);
  });
});
