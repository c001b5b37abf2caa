/**
 * The registry: a libSQL database (`file:` locally, `http(s):`/`libsql:` for sqld or Turso),
 * migrated on open. This module and its siblings are the only ones that import @libsql/client;
 * other components get the `client` for their own queries.
 */
import { type Client, type Config, createClient } from '@libsql/client';
import { errorMessage } from '../errors.js';
import { type MigrationReport, migrate } from './migrations.js';
import { RegistryError } from './registryError.js';

export interface RegistryOptions {
  authToken?: string;
}

export interface Registry {
  /** The libSQL client, for components' own queries. Foreign keys are enforced on it. */
  readonly client: Client;
  /** What opening the registry migrated. */
  readonly migration: MigrationReport;
  close(): void;
}

const SCHEMES = ['file:', 'http:', 'https:', 'libsql:', 'ws:', 'wss:'];

/** Opens the registry at `url`, applies migrations and CDC triggers, checks foreign keys. */
export async function openRegistry(url: string, options: RegistryOptions = {}): Promise<Registry> {
  if (!SCHEMES.some((scheme) => url.startsWith(scheme))) {
    throw new RegistryError(
      'invalid_url',
      `registry URL must start with one of ${SCHEMES.join(' ')}: ${url}`,
    );
  }
  let client: Client;
  try {
    client = createClient(clientConfig(url, options));
  } catch (cause) {
    throw new RegistryError('invalid_url', `cannot open registry ${url}: ${errorMessage(cause)}`, { cause });
  }
  try {
    await assertForeignKeys(client);
    // WAL lets readers (the drainer) run while a registration writes; the mode persists in the file.
    if (url.startsWith('file:')) await client.execute('PRAGMA journal_mode = WAL');
    const migration = await migrate(client);
    return { client, migration, close: () => client.close() };
  } catch (error) {
    client.close();
    throw error;
  }
}

function clientConfig(url: string, options: RegistryOptions): Config {
  // intMode 'number' makes libSQL throw rather than round an integer above 2^53.
  const config: Config = { url, authToken: options.authToken, intMode: 'number' };
  if (!url.startsWith('file:')) return config;
  // The local driver blocks the event loop while it waits on a lock, so one connection per
  // client (operations queue asynchronously) and a short busy timeout; writeTransaction
  // retries busy transactions without blocking.
  return { ...config, concurrency: 1, timeout: 100 };
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
