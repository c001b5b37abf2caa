/**
 * The registry: a libSQL database (`file:` locally, `http(s):`/`libsql:` for sqld or Turso),
 * migrated on open. This module and its siblings are the only ones that import @libsql/client;
 * other components get the `client` for their own queries.
 */
import { type Client, createClient } from '@libsql/client';
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
    // intMode 'number' makes libSQL throw rather than round an integer above 2^53.
    client = createClient({ url, authToken: options.authToken, intMode: 'number' });
  } catch (cause) {
    throw new RegistryError('invalid_url', `cannot open registry ${url}: ${errorMessage(cause)}`, { cause });
  }
  try {
    await assertForeignKeys(client);
    const migration = await migrate(client);
    return { client, migration, close: () => client.close() };
  } catch (error) {
    client.close();
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
