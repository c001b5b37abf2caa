/**
 * The libSQL client behind a registry, chosen by URL: `file:` (local), `http(s):`/`libsql:`/
 * `ws(s):` (sqld, Turso).
 *
 * A `file:` database is opened ONCE per process and shared by every registry opened on it
 * (reference-counted), with a single connection. Reason: the local driver is synchronous, so a
 * connection waiting on another connection's lock in the same process blocks the very event
 * loop that would release it; and a statement that fails with SQLITE_BUSY is left un-reset by
 * the driver, which makes every later COMMIT on that connection fail ("SQL statements in
 * progress"). One shared connection, used one operation (or transaction) at a time through
 * SerialClient, means the operations of one process queue asynchronously and never contend;
 * the busy timeout only covers other processes.
 */
import { resolve } from 'node:path';
import { type Client, type Config, createClient } from '@libsql/client';
import { errorMessage } from '../errors.js';
import { RegistryError } from './registryError.js';
import { SerialClient } from './serialClient.js';

export interface ClientOptions {
  authToken?: string;
  /** `file:` only: how long a write waits for another process holding the lock (default 5 s). */
  busyTimeoutMs?: number;
}

export interface ClientLease {
  client: Client;
  /** Gives the lease back; the client closes when its last lease is released. */
  release(): void;
}

const SCHEMES = ['file:', 'http:', 'https:', 'libsql:', 'ws:', 'wss:'];
/** How long a local write waits for another process holding the database lock. */
const FILE_BUSY_TIMEOUT_MS = 5_000;

const shared = new Map<string, { client: Client; leases: number }>();

/** The file a `file:` URL names, as a sharing key; undefined for in-memory databases. */
function fileKey(url: string): string | undefined {
  const path = url.replace(/^file:(\/\/(localhost)?)?/, '').split('?')[0] ?? '';
  if (path === '' || path === ':memory:') return undefined;
  return resolve(path);
}

function create(url: string, options: ClientOptions): Client {
  // intMode 'number' makes libSQL throw rather than round an integer above 2^53.
  let config: Config = { url, authToken: options.authToken, intMode: 'number' };
  if (url.startsWith('file:'))
    config = { ...config, concurrency: 1, timeout: options.busyTimeoutMs ?? FILE_BUSY_TIMEOUT_MS };
  try {
    return url.startsWith('file:') ? new SerialClient(createClient(config)) : createClient(config);
  } catch (cause) {
    throw new RegistryError('invalid_url', `cannot open registry ${url}: ${errorMessage(cause)}`, { cause });
  }
}

export function acquireClient(url: string, options: ClientOptions = {}): ClientLease {
  if (!SCHEMES.some((scheme) => url.startsWith(scheme))) {
    throw new RegistryError(
      'invalid_url',
      `registry URL must start with one of ${SCHEMES.join(' ')}: ${url}`,
    );
  }
  const key = url.startsWith('file:') ? fileKey(url) : undefined;
  if (key === undefined) {
    const client = create(url, options);
    return { client, release: () => client.close() };
  }
  let entry = shared.get(key);
  if (!entry || entry.client.closed) {
    entry = { client: create(url, options), leases: 0 };
    shared.set(key, entry);
  }
  entry.leases += 1;
  const current = entry;
  let released = false;
  return {
    client: current.client,
    release: () => {
      if (released) return;
      released = true;
      current.leases -= 1;
      if (current.leases > 0) return;
      current.client.close();
      if (shared.get(key) === current) shared.delete(key);
    },
  };
}
