/**
 * The registry: a libSQL database (`file:` locally, `http(s):`/`libsql:` for sqld or Turso),
 * migrated on open. This module and its siblings are the only ones that import @libsql/client;
 * other components get the `client` for their own queries.
 */
import type { Client } from '@libsql/client';
import { errorMessage } from '../errors.js';
import type { ObjectStore } from '../store/objectStore.js';
import { type MigrationReport, migrate } from './migrations.js';
import { acquireClient, type ClientLease } from './registryClient.js';
import { planRegistrations, type RegistrationOptions, type S3ObjectRef } from './planRegistration.js';
import { RegistryError } from './registryError.js';
import {
  type FileStatistics,
  type FilesByStateQuery,
  fileStatistics,
  filesByState,
  pendingFiles,
  type RegistryStatus,
  registryStatus,
  tableById,
  tableByName,
  tableMetadata,
} from './registryReads.js';
import type { IcebergState, TableFileRow, TableMetadataRow, TableRow } from './rows.js';
import { type RemovedObjectRef, type UnregisterOutcome, unregisterObject } from './unregisterObject.js';
import {
  type RegistrationFaults,
  type RegistrationOutcome,
  writeRegistrations,
} from './writeRegistrations.js';

export interface RegistryOptions {
  authToken?: string;
  /** `file:` only: how long a write waits for another process holding the lock (default 5 s). */
  busyTimeoutMs?: number;
}

export interface RegisterOptions extends RegistrationOptions {
  /** Test-only fault points inside the registration transaction. */
  faults?: RegistrationFaults;
}

export interface Registry {
  /**
   * The libSQL client, for components' own queries. Foreign keys are enforced on it. On a
   * `file:` registry it is one connection shared by the whole process: do not call
   * `client.execute` while holding a `client.transaction()` of your own (use the transaction),
   * and do not `client.close()` it (use `close()`).
   */
  readonly client: Client;
  /** What opening the registry migrated. */
  readonly migration: MigrationReport;
  /** One S3 object (ObjectCreated); never throws for a bad object, see `RegistrationOutcome`. */
  registerObject(
    object: S3ObjectRef,
    store: ObjectStore,
    options?: RegisterOptions,
  ): Promise<RegistrationOutcome>;
  /** Many objects in one transaction; one outcome per object, in order. */
  registerBatch(
    objects: readonly S3ObjectRef[],
    store: ObjectStore,
    options?: RegisterOptions,
  ): Promise<RegistrationOutcome[]>;
  /** S3 ObjectRemoved: marks the key's files `removed` and fixes the table's statistics. */
  unregisterObject(
    object: RemovedObjectRef,
    store: ObjectStore,
    options?: RegistrationOptions,
  ): Promise<UnregisterOutcome>;
  tableById(id: number): Promise<TableRow | undefined>;
  tableByName(namespace: string, name: string): Promise<TableRow | undefined>;
  tableMetadata(tableId: number): Promise<TableMetadataRow | undefined>;
  /** Pending files of a table ordered by id, at most `limit`. */
  pendingFiles(tableId: number, limit?: number): Promise<TableFileRow[]>;
  filesByState(state: IcebergState, query?: FilesByStateQuery): Promise<TableFileRow[]>;
  fileStatistics(fileId: number): Promise<FileStatistics | undefined>;
  status(now?: Date): Promise<RegistryStatus>;
  /** Releases this registry; a shared `file:` client closes with its last registry. */
  close(): void;
}

function bindRegistry(lease: ClientLease, migration: MigrationReport): Registry {
  const client = lease.client;
  const registerBatch = async (
    objects: readonly S3ObjectRef[],
    store: ObjectStore,
    options: RegisterOptions = {},
  ) => writeRegistrations(client, await planRegistrations(client, objects, store, options), options.faults);
  return {
    client,
    migration,
    registerBatch,
    registerObject: async (object, store, options) => (await registerBatch([object], store, options))[0]!,
    unregisterObject: (object, store, options) => unregisterObject(client, object, store, options),
    tableById: (id) => tableById(client, id),
    tableByName: (namespace, name) => tableByName(client, namespace, name),
    tableMetadata: (tableId) => tableMetadata(client, tableId),
    pendingFiles: (tableId, limit) => pendingFiles(client, tableId, limit),
    filesByState: (state, query) => filesByState(client, state, query),
    fileStatistics: (fileId) => fileStatistics(client, fileId),
    status: (now) => registryStatus(client, now),
    close: () => lease.release(),
  };
}

/** Opens the registry at `url`, applies migrations and CDC triggers, checks foreign keys. */
export async function openRegistry(url: string, options: RegistryOptions = {}): Promise<Registry> {
  const lease = acquireClient(url, options);
  try {
    await assertForeignKeys(lease.client);
    // WAL lets readers (the drainer) run while a registration writes; the mode persists in the file.
    if (url.startsWith('file:')) await lease.client.execute('PRAGMA journal_mode = WAL');
    const migration = await migrate(lease.client);
    return bindRegistry(lease, migration);
  } catch (error) {
    lease.release();
    throw error;
  }
}

/**
 * libSQL (local and sqld) is built with foreign keys on by default. `PRAGMA foreign_keys` is a
 * no-op inside a transaction and, over HTTP, every request may be a new connection, so setting
 * it per connection is not possible: verify the default instead and refuse a server without it.
 */
async function assertForeignKeys(client: Client): Promise<void> {
  let enabled: unknown;
  try {
    enabled = (await client.execute('PRAGMA foreign_keys')).rows[0]?.foreign_keys;
  } catch (cause) {
    throw new RegistryError('backend', `registry unreachable: ${errorMessage(cause)}`, {
      cause,
      retryable: true,
    });
  }
  if (Number(enabled) !== 1) {
    throw new RegistryError('foreign_keys_off', 'the libSQL server does not enforce foreign keys by default');
  }
}
