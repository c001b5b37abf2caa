/**
 * A small lake for component tests: a real libSQL registry file, a real warehouse store (a
 * directory, or a fresh LocalStack bucket under a prefix), uploads registered the way the
 * register function does it, and the CDC log turned into the events each component would
 * receive (through the drainer's own `readBatch`/`convertBatch`, then `decodeMessage`).
 */
import { wakes } from '../../lib/astha/wakes.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { convertBatch, readBatch } from '../../lib/astha/drain.js';
import { type ChangeEvent, decodeMessage } from '../../lib/astha/events.js';
import type { Component } from '../../lib/astha/subscriptions.js';
import { s3ClientConfig } from '../../lib/aws/awsOptions.js';
import type { ComponentLogic } from '../../lib/components/component.js';
import { loadTable } from '../../lib/iceberg/commit/loadTable.js';
import type { LoadedTable } from '../../lib/iceberg/commit/loadTable.js';
import { openRegistry, type Registry } from '../../lib/registry/registry.js';
import type { RegistrationOutcome } from '../../lib/registry/writeRegistrations.js';
import type { ObjectStore } from '../../lib/store/objectStore.js';
import { openStore } from '../../lib/store/openStore.js';
import { type S3Access, s3Access } from '../conformance/readers.js';
import { localstack, uniqueName } from '../harness/services.js';

export type LakeKind = 'fs' | 's3';

export interface Lake {
  kind: LakeKind;
  registry: Registry;
  store: ObjectStore;
  /** Reader settings when the warehouse is on LocalStack S3. */
  s3?: S3Access;
  /** Puts `bytes` at `path` (below the warehouse) and registers it like an S3 notification would. */
  land(path: string, bytes: Uint8Array): Promise<RegistrationOutcome>;
  /** Every change logged since the last call, as `component` would receive it; the log is emptied. */
  events(component: Component): Promise<ChangeEvent[]>;
  /** `events` for each component in turn, fed to it in order. */
  deliver(...components: ComponentLogic[]): Promise<void>;
  /** The table's newest Iceberg metadata, found the way every loader finds it. */
  iceberg(namespace: string, table: string): Promise<LoadedTable | undefined>;
  close(): void;
}

export async function openLake(kind: LakeKind): Promise<Lake> {
  const dir = mkdtempSync(join(tmpdir(), `astha-components-${kind}-`));
  const registry = await openRegistry(`file:${join(dir, 'registry.db')}`);
  const where =
    kind === 'fs'
      ? { store: openStore(pathToFileURL(join(dir, 'warehouse')).href), bucket: 'local', prefix: '' }
      : await s3Warehouse();
  const { store, bucket, prefix } = where;
  const pending = new Map<Component, ChangeEvent[]>();

  const pull = async () => {
    for (;;) {
      const rows = await readBatch(registry.client, 500);
      if (rows.length === 0) return;
      const batch = convertBatch(rows, wakes);
      expectNoDeadRows(batch.dead);
      for (const [component, messages] of batch.outgoing) {
        const list = pending.get(component) ?? [];
        for (const message of messages) {
          const decoded = decodeMessage(message.body);
          if (decoded.kind === 'change') list.push(decoded);
        }
        pending.set(component, list);
      }
      await registry.client.execute({ sql: 'DELETE FROM __cdc_log WHERE id <= ?', args: [batch.lastId] });
    }
  };

  const lake: Lake = {
    kind,
    registry,
    store,
    ...('s3' in where ? { s3: where.s3 } : {}),
    async land(path, bytes) {
      const info = await store.put(path, bytes);
      const key = prefix === '' ? path : `${prefix}/${path}`;
      const ref = { bucket, key, size: info.size, etag: info.etag.replaceAll('"', '') };
      return registry.registerObject(ref, store, { warehousePrefix: prefix });
    },
    async events(component) {
      await pull();
      const list = pending.get(component) ?? [];
      pending.set(component, []);
      return list;
    },
    async deliver(...components) {
      for (const component of components) {
        for (const event of await lake.events(component.name)) await component.onEvent(event);
      }
    },
    async iceberg(namespace, table) {
      const row = await registry.tableByName(namespace, table);
      if (!row) return undefined;
      return loadTable(store, { keyPrefix: row.key_prefix, location: row.location });
    },
    close() {
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return lake;
}

function expectNoDeadRows(dead: readonly { id: number; reason: string }[]): void {
  if (dead.length > 0) throw new Error(`CDC rows could not be converted: ${JSON.stringify(dead)}`);
}

async function s3Warehouse() {
  const info = localstack();
  const aws = { endpoint: info.endpoint, region: info.region, credentials: info.credentials };
  const bucket = uniqueName('components');
  const client = new S3Client(s3ClientConfig(aws));
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const prefix = 'lake';
  return {
    store: openStore(`s3://${bucket}/${prefix}`, { s3Client: client }),
    bucket,
    prefix,
    s3: s3Access(info),
  };
}
