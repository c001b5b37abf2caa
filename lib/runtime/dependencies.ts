/**
 * Everything a function needs, built once per container from the typed configuration:
 * the registry (its URL and token from Secrets Manager when deployed), the warehouse store
 * and where registration finds it (bucket + prefix), one queue per deployed component, the
 * logger. Handlers and the local runtime call `openDependencies` (or `dependenciesOnce`) and
 * pass the parts down; nothing below reads the environment or opens connections itself.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isComponent, type Component } from '../astha/subscriptions.js';
import { type AsthaConfig, ConfigError } from '../config.js';
import { errorMessage } from '../errors.js';
import { type ClaimOwner, functionOwner, localProcessOwner } from '../iceberg/commit/claimOwner.js';
import { redactSecrets } from '../redact.js';
import type { Logger } from '../log.js';
import { openQueue } from '../queue/openQueue.js';
import type { Queue } from '../queue/queue.js';
import { openRegistry, type Registry } from '../registry/registry.js';
import type { ObjectStore } from '../store/objectStore.js';
import { openStore } from '../store/openStore.js';

/** The libSQL connection after the secret (if any) was read. The token is never logged. */
export interface RegistryConnection {
  url: string;
  authToken?: string;
}

/** Where registration finds the warehouse: S3 notifications name a bucket and a full key. */
export interface WarehouseLocation {
  /** The store URL (`s3://bucket/prefix`, `file:///abs/dir`, `memory://name`). */
  url: string;
  /** The S3 bucket; `local` for a directory, `memory` for a memory store. */
  bucket: string;
  /** Key prefix of the warehouse inside the bucket; '' for the bucket root or a directory. */
  prefix: string;
}

export interface Dependencies {
  readonly config: Readonly<AsthaConfig>;
  readonly registry: Registry;
  /** Rooted at the warehouse: keys are `<namespace>/<table>/...`. */
  readonly store: ObjectStore;
  readonly warehouse: WarehouseLocation;
  /** One queue per component named in the configuration. */
  readonly queues: Readonly<Partial<Record<Component, Queue>>>;
  readonly logger: Logger;
  /** Who this process is when it claims files for a commit (a function bounds it by its timeout). */
  readonly claimOwner: ClaimOwner;
  close(): void;
}

export interface DependencyOptions {
  /** Secrets Manager client; by default one built from the configuration's AWS settings. */
  secretsClient?: SecretsManagerClient;
}

/** Per container: a warm Lambda reads its secret once, however many times it is asked. */
const secretCache = new Map<string, Promise<RegistryConnection>>();

/**
 * The registry URL and token: from the Secrets Manager secret `{"url", "authToken"}` when the
 * configuration names one (read once per container; a failed read is not cached), else from
 * the configuration itself. A URL given in the configuration wins over the secret's.
 */
export async function resolveRegistryConnection(
  config: Readonly<AsthaConfig>,
  options: DependencyOptions = {},
): Promise<RegistryConnection> {
  const { url, authToken, secretArn } = config.registry;
  if (secretArn === undefined) {
    if (url === '') throw new ConfigError('no registry: set ASTHA_REGISTRY_URL or ASTHA_LIBSQL_SECRET_ARN');
    return authToken === undefined ? { url } : { url, authToken };
  }
  let cached = secretCache.get(secretArn);
  if (!cached) {
    cached = readSecret(config, secretArn, options).catch((error: unknown) => {
      secretCache.delete(secretArn);
      throw error;
    });
    secretCache.set(secretArn, cached);
  }
  const fromSecret = await cached;
  const connection: RegistryConnection = { url: url !== '' ? url : fromSecret.url };
  const token = fromSecret.authToken ?? authToken;
  if (token !== undefined) connection.authToken = token;
  return connection;
}

async function readSecret(
  config: Readonly<AsthaConfig>,
  secretArn: string,
  options: DependencyOptions,
): Promise<RegistryConnection> {
  const client = options.secretsClient ?? new SecretsManagerClient(awsClientConfig(config));
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (cause) {
    throw new ConfigError(`cannot read the libSQL secret ${secretArn}: ${errorMessage(cause)}`, {
      secretArn,
    });
  }
  return parseSecret(text, secretArn);
}

/** Never echoes the secret's text: a malformed secret may still hold a valid token. */
function parseSecret(text: string | undefined, secretArn: string): RegistryConnection {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    throw new ConfigError(`the libSQL secret ${secretArn} is not JSON {"url", "authToken"}`, { secretArn });
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const { url, authToken } = record;
  if (typeof url !== 'string' || url === '') {
    throw new ConfigError(`the libSQL secret ${secretArn} has no "url" string`, { secretArn });
  }
  if (authToken !== undefined && typeof authToken !== 'string') {
    throw new ConfigError(`the libSQL secret ${secretArn} has a non-string "authToken"`, { secretArn });
  }
  return authToken === undefined || authToken === '' ? { url } : { url, authToken };
}

function awsClientConfig(config: Readonly<AsthaConfig>): { region?: string; endpoint?: string } {
  const { region, endpoint } = config.aws;
  return { ...(region ? { region } : {}), ...(endpoint ? { endpoint } : {}) };
}

/**
 * The warehouse URL as a store URL plus its bucket and prefix. Directories may be written
 * `file:///abs`, `file://./rel` (the configuration's default), `file:rel` or a plain path.
 */
export function warehouseLocation(warehouse: string): WarehouseLocation {
  if (warehouse.startsWith('s3://')) {
    const parsed = new URL(warehouse);
    if (parsed.hostname === '') throw new ConfigError(`ASTHA_WAREHOUSE ${warehouse} names no bucket`);
    const prefix = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, '');
    return { url: `s3://${parsed.hostname}/${prefix}`, bucket: parsed.hostname, prefix };
  }
  if (warehouse.startsWith('memory://')) return { url: warehouse, bucket: 'memory', prefix: '' };
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(warehouse)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'file') {
    throw new ConfigError(
      `ASTHA_WAREHOUSE must be s3://bucket/prefix, file:///dir, a path or memory://name, got ${warehouse}`,
    );
  }
  return { url: pathToFileURL(directoryOf(warehouse)).href, bucket: 'local', prefix: '' };
}

function directoryOf(warehouse: string): string {
  if (warehouse.startsWith('file:///')) return fileURLToPath(warehouse);
  if (warehouse.startsWith('file://')) return resolve(warehouse.slice('file://'.length));
  if (warehouse.startsWith('file:')) return resolve(warehouse.slice('file:'.length));
  return resolve(warehouse);
}

function componentQueues(config: Readonly<AsthaConfig>): Partial<Record<Component, Queue>> {
  const queues: Partial<Record<Component, Queue>> = {};
  for (const [name, url] of Object.entries(config.componentQueues)) {
    if (!isComponent(name)) {
      throw new ConfigError(`ASTHA_COMPONENT_QUEUES names an unknown component ${JSON.stringify(name)}`);
    }
    queues[name] = openQueue(url, { aws: config.aws });
  }
  return queues;
}

/** Opens the registry (migrating it), the warehouse store and the component queues. */
export async function openDependencies(
  config: Readonly<AsthaConfig>,
  logger: Logger,
  options: DependencyOptions = {},
): Promise<Dependencies> {
  const warehouse = warehouseLocation(config.warehouse);
  const store = openStore(warehouse.url, { aws: config.aws });
  const queues = componentQueues(config);
  const connection = await resolveRegistryConnection(config, options);
  ensureRegistryDir(connection.url);
  const registry = await openRegistry(
    connection.url,
    connection.authToken === undefined ? {} : { authToken: connection.authToken },
  );
  logger.debug(
    { registry: redactSecrets(connection.url), warehouse: warehouse.url, queues: Object.keys(queues) },
    'dependencies ready',
  );
  const claimOwner = config.function?.timeoutMs
    ? functionOwner(config.function.name, config.function.timeoutMs)
    : localProcessOwner();
  return { config, registry, store, warehouse, queues, logger, claimOwner, close: () => registry.close() };
}

/** A `file:` registry's directory is created on first use (the embedded default, `./.astha/`). */
function ensureRegistryDir(url: string): void {
  const path = registryFilePath(url);
  if (path !== undefined) mkdirSync(dirname(path), { recursive: true });
}

/** The database file of a `file:` registry URL; undefined for a server or `:memory:`. */
export function registryFilePath(url: string): string | undefined {
  if (!url.startsWith('file:')) return undefined;
  const path = url
    .slice('file:'.length)
    .replace(/^\/\/(?=\/)/, '')
    .split('?')[0]!;
  return path === '' || path === ':memory:' ? undefined : path;
}

/**
 * `openDependencies` on first use, then the same object for the container's life. A failed
 * start (registry unreachable) is not cached, so the next invocation tries again; building
 * lazily also lets a bundle be loaded without touching the network.
 */
export function dependenciesOnce(
  config: Readonly<AsthaConfig>,
  logger: Logger,
  options: DependencyOptions = {},
): () => Promise<Dependencies> {
  let ready: Promise<Dependencies> | undefined;
  return () => {
    ready ??= openDependencies(config, logger, options).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
}
