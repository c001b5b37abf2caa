import { describe, expect, test } from 'vitest';
import { migrate } from '../../lib/registry/migrations.js';
import { acquireClient } from '../../lib/registry/registryClient.js';
import { openRegistry } from '../../lib/registry/registry.js';
import { RegistryError } from '../../lib/registry/registryError.js';
import { MIGRATIONS } from '../../lib/registry/schema.js';
import { BACKENDS, freshDatabaseUrl, freshRegistry } from './registryBackends.js';

const orphan =
  "INSERT INTO tables (namespace_id, name, bucket, key_prefix, location) VALUES (42, 't', 'b', 'p', 'l')";

describe.each(BACKENDS)('openRegistry on %s', (backend) => {
  test('migrates an empty database, then finds nothing to do', async () => {
    const url = await freshDatabaseUrl(backend);
    const first = await openRegistry(url);
    expect(first.migration.applied).toEqual(MIGRATIONS.map((m) => m.version));
    expect(first.migration.triggersInstalled).toHaveLength(5);
    first.close();
    const second = await openRegistry(url);
    expect(second.migration).toEqual({ applied: [], triggersInstalled: [] });
    const versions = await second.client.execute('SELECT version FROM schema_migrations');
    expect(versions.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    second.close();
  });

  test('a database at version 1 is upgraded: lineage columns added, triggers regenerated to log them', async () => {
    const url = await freshDatabaseUrl(backend);
    const lease = acquireClient(url);
    const old = await migrate(lease.client, MIGRATIONS.slice(0, 1));
    expect(old.applied).toEqual([1]);
    lease.release();
    const registry = await openRegistry(url);
    expect(registry.migration.applied).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
    expect(registry.migration.triggersInstalled).toContain('table_files');
    const { client } = registry;
    await client.execute("INSERT INTO namespaces (name) VALUES ('n')");
    await client.execute(
      "INSERT INTO tables (namespace_id, name, bucket, key_prefix, location) VALUES (1, 't', 'b', 'n/t', 's3://b/n/t')",
    );
    await client.execute(
      "INSERT INTO table_files (table_id, path, uri, size, etag, purged_at) VALUES (1, 'n/t/data/a.parquet', 's3://b/n/t/data/a.parquet', 1, 'e', '2026-01-01T00:00:00.000Z')",
    );
    const logged = await client.execute(
      "SELECT after FROM __cdc_log WHERE tablename = 'table_files' ORDER BY id DESC LIMIT 1",
    );
    expect(JSON.parse(String(logged.rows[0]?.after))).toMatchObject({
      purged_at: '2026-01-01T00:00:00.000Z',
      retracted_at: null,
    });
    registry.close();
  });

  test('two cold starts racing on one database both succeed and migrate once', async () => {
    const url = await freshDatabaseUrl(backend);
    const [a, b] = await Promise.all([openRegistry(url), openRegistry(url)]);
    const applied = [...a.migration.applied, ...b.migration.applied];
    expect(applied.sort((x, y) => x - y)).toEqual(MIGRATIONS.map((m) => m.version));
    const triggers = await a.client.execute(
      "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '__cdc_%'",
    );
    expect(triggers.rows[0]?.n).toBe(25);
    a.close();
    b.close();
  });

  test('foreign keys are enforced on execute, batch and interactive transactions', async () => {
    const registry = await freshRegistry(backend);
    await expect(registry.client.execute(orphan)).rejects.toThrow(/FOREIGN KEY/);
    await expect(registry.client.batch([orphan], 'write')).rejects.toThrow(/FOREIGN KEY/);
    const tx = await registry.client.transaction('write');
    await expect(tx.execute(orphan)).rejects.toThrow(/FOREIGN KEY/);
    await tx.rollback();
    tx.close();
    const count = await registry.client.execute('SELECT count(*) AS n FROM tables');
    expect(count.rows[0]?.n).toBe(0);
  });

  test('STRICT tables refuse a value of the wrong type', async () => {
    const registry = await freshRegistry(backend);
    await expect(
      registry.client.execute("INSERT INTO namespaces (id, name) VALUES ('x', 'n')"),
    ).rejects.toThrow(/SQLITE_MISMATCH|cannot store/);
  });
});

test('registries sharing one file in a process interleave transactions and reads without errors', async () => {
  const url = await freshDatabaseUrl('file');
  const [a, b] = await Promise.all([openRegistry(url), openRegistry(url)]);
  await a.client.execute("INSERT INTO namespaces (name) VALUES ('n')");
  const insertTable = async (registry: typeof a, name: string) => {
    const tx = await registry.client.transaction('write');
    await tx.execute({
      sql: "INSERT INTO tables (namespace_id, name, bucket, key_prefix, location) VALUES (1, ?, 'b', ?, 'l')",
      args: [name, name],
    });
    await tx.commit();
    tx.close();
  };
  const work = Array.from({ length: 20 }, (_, i) =>
    i % 3 === 0
      ? b.client.execute('SELECT count(*) AS n FROM tables')
      : insertTable(i % 2 === 0 ? a : b, `t${i}`),
  );
  await Promise.all(work);
  expect((await b.client.execute('SELECT count(*) AS n FROM tables')).rows[0]?.n).toBe(13);
  a.close();
  // The shared connection stays open until its last registry closes.
  expect((await b.client.execute('SELECT count(*) AS n FROM tables')).rows[0]?.n).toBe(13);
  b.close();
  expect(b.client.closed).toBe(true);
});

test('a URL that is not libSQL is refused with a RegistryError', async () => {
  const error = await openRegistry('postgres://x').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RegistryError);
  expect((error as RegistryError).code).toBe('invalid_url');
});

test('an unreachable server is a retryable RegistryError', async () => {
  const error = await openRegistry('http://127.0.0.1:9').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RegistryError);
  expect((error as RegistryError).retryable).toBe(true);
});
