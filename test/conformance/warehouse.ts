/**
 * A warehouse for the conformance suite: a real object store (a local directory, or a fresh
 * LocalStack S3 bucket), a real libSQL registry file, and a staging directory where Python
 * writes Parquet files before they land. Landing a file is what a user's upload is: the
 * object appears in the store, and the registry is told with an S3-style notification.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../../lib/aws/awsOptions.js';
import type { S3ObjectRef } from '../../lib/registry/planRegistration.js';
import { openRegistry, type Registry } from '../../lib/registry/registry.js';
import type { ObjectStore } from '../../lib/store/objectStore.js';
import { openStore } from '../../lib/store/openStore.js';
import { localstack, uniqueName } from '../harness/services.js';
import { type S3Access, s3Access } from './readers.js';

export type RegistrationOutcome = Awaited<ReturnType<Registry['registerObject']>>;

export type StoreKind = 'fs' | 's3';

export interface Warehouse {
  kind: StoreKind;
  store: ObjectStore;
  registry: Registry;
  /** Where the Python writer puts files; for `fs` it is the warehouse directory itself. */
  stage: string;
  /** Reader settings for LocalStack, when the warehouse is on S3. */
  s3?: S3Access;
  /** Puts staged files (paths relative to the warehouse) into the store and registers them. */
  land(paths: readonly string[]): Promise<RegistrationOutcome[]>;
  close(): void;
}

const PREFIX = 'warehouse';

export async function openWarehouse(kind: StoreKind): Promise<Warehouse> {
  const dir = mkdtempSync(join(tmpdir(), `astha-conformance-${kind}-`));
  const registry = await openRegistry(`file:${join(dir, 'registry.db')}`);
  const { store, bucket, s3 } = kind === 'fs' ? fsStore(dir) : await s3Store();
  const stage = kind === 'fs' ? join(dir, 'warehouse') : join(dir, 'stage');
  const land = async (paths: readonly string[]) => {
    const refs: S3ObjectRef[] = [];
    for (const path of paths) refs.push(await landOne(store, bucket, stage, path, kind));
    return registry.registerBatch(refs, store, { warehousePrefix: PREFIX });
  };
  return {
    kind,
    store,
    registry,
    stage,
    s3,
    land,
    close() {
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function fsStore(dir: string): { store: ObjectStore; bucket: string; s3?: S3Access } {
  return { store: openStore(pathToFileURL(join(dir, 'warehouse')).href), bucket: 'local' };
}

async function s3Store(): Promise<{ store: ObjectStore; bucket: string; s3: S3Access }> {
  const info = localstack();
  const aws = { endpoint: info.endpoint, region: info.region, credentials: info.credentials };
  const bucket = uniqueName('conformance');
  const client = new S3Client(s3ClientConfig(aws));
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return { store: openStore(`s3://${bucket}/${PREFIX}`, { s3Client: client }), bucket, s3: s3Access(info) };
}

async function landOne(
  store: ObjectStore,
  bucket: string,
  stage: string,
  path: string,
  kind: StoreKind,
): Promise<S3ObjectRef> {
  // On fs the writer already wrote into the warehouse; on S3 the upload is the landing.
  const info =
    kind === 'fs' ? await store.head(path) : await store.put(path, readFileSync(join(stage, path)));
  if (!info) throw new Error(`staged file ${path} is not in the store`);
  // S3 notifications carry the key with the warehouse prefix and the ETag without quotes.
  return { bucket, key: `${PREFIX}/${path}`, size: info.size, etag: info.etag.replaceAll('"', '') };
}
