import { describe, expect, test } from 'vitest';
import { installCdcTriggers } from '../../lib/registry/cdcTriggers.js';
import { migrate } from '../../lib/registry/migrations.js';
import type { Registry } from '../../lib/registry/registry.js';
import { parseRegistryTime } from '../../lib/registry/rows.js';
import { BACKENDS, cdcRowsAfter, freshRegistry, lastCdcId } from './registryBackends.js';

async function seedTable(registry: Registry, name = 'orders'): Promise<number> {
  const c = registry.client;
  await c.execute({ sql: 'INSERT OR IGNORE INTO namespaces (name) VALUES (?)', args: ['sales'] });
  const result = await c.execute({
    sql: `INSERT INTO tables (namespace_id, name, bucket, key_prefix, location)
          SELECT id, ?, 'b', 'wh/sales/' || ?, 's3://b/wh/sales/' || ? FROM namespaces WHERE name = 'sales'
          RETURNING id`,
    args: [name, name, name],
  });
  return Number(result.rows[0]?.id);
}

async function insertFile(registry: Registry, tableId: number, path: string, etag = 'e1'): Promise<number> {
  const result = await registry.client.execute({
    sql: `INSERT INTO table_files (table_id, path, uri, size, etag, row_count)
          VALUES (?, ?, 's3://b/' || ?, 10, ?, 1) RETURNING id`,
    args: [tableId, path, path, etag],
  });
  return Number(result.rows[0]?.id);
}

/** A non-monitored table with 75 columns, a BLOB column and a unique key, with CDC triggers. */
async function createWideTable(registry: Registry): Promise<void> {
  const columns = Array.from({ length: 72 }, (_, i) => `c${i + 1} INTEGER`);
  await registry.client.execute(
    `CREATE TABLE wide (id INTEGER PRIMARY KEY, code TEXT UNIQUE, payload BLOB, ${columns.join(', ')}) STRICT`,
  );
  await installCdcTriggers(registry.client, 'wide');
}

describe.each(BACKENDS)('CDC triggers on %s', (backend) => {
  test('an insert writes one row with the full image and a UTC millisecond timestamp', async () => {
    const registry = await freshRegistry(backend);
    const before = await lastCdcId(registry);
    const tableId = await seedTable(registry);
    const rows = await cdcRowsAfter(registry, before);
    expect(rows.map((r) => [r.tablename, r.operation])).toEqual([['tables', 'INSERT']]);
    const row = rows[0]!;
    expect(row.before).toBeNull();
    expect(row.after).toMatchObject({ id: tableId, name: 'orders', state: 'active', row_count: 0 });
    expect(Object.keys(row.after!)).toContain('current_snapshot_id');
    expect(row.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // Parsed as UTC: the Date prints back to the same string.
    expect(parseRegistryTime(row.timestamp).toISOString()).toBe(row.timestamp);
    expect(Number.isNaN(parseRegistryTime('2026-01-02 03:04:05').getTime())).toBe(true);
  });

  test('one logical update is one log row; updated_at is bumped inside it', async () => {
    const registry = await freshRegistry(backend);
    const tableId = await seedTable(registry);
    const stamp = '2000-01-01T00:00:00.000Z';
    await registry.client.execute({
      sql: 'UPDATE tables SET updated_at = ? WHERE id = ?',
      args: [stamp, tableId],
    });
    const start = await lastCdcId(registry);
    await registry.client.execute({ sql: 'UPDATE tables SET row_count = 7 WHERE id = ?', args: [tableId] });
    const rows = await cdcRowsAfter(registry, start);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.operation).toBe('UPDATE');
    expect(rows[0]!.before).toMatchObject({ row_count: 0, updated_at: stamp });
    const stored = await registry.client.execute({
      sql: 'SELECT updated_at FROM tables WHERE id = ?',
      args: [tableId],
    });
    const bumped = String(stored.rows[0]?.updated_at);
    expect(bumped).not.toBe(stamp);
    expect(rows[0]!.after).toMatchObject({ row_count: 7, updated_at: bumped });
  });

  test('an update that sets updated_at itself keeps it; a no-op update logs nothing', async () => {
    const registry = await freshRegistry(backend);
    const tableId = await seedTable(registry);
    const start = await lastCdcId(registry);
    const stamp = '2030-05-06T07:08:09.010Z';
    await registry.client.execute({
      sql: 'UPDATE tables SET file_count = 2, updated_at = ? WHERE id = ?',
      args: [stamp, tableId],
    });
    await registry.client.execute({ sql: 'UPDATE tables SET file_count = 2 WHERE id = ?', args: [tableId] });
    const rows = await cdcRowsAfter(registry, start);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.after).toMatchObject({ file_count: 2, updated_at: stamp });
  });

  // sqld refuses to change recursive_triggers (tested below), so only a file can turn it on.
  const recursiveModes = backend === 'file' ? [false, true] : [false];

  if (backend === 'file') {
    test('with recursive_triggers on, an update is still exactly one row', async () => {
      const registry = await freshRegistry(backend);
      const tableId = await seedTable(registry);
      const start = await lastCdcId(registry);
      const tx = await registry.client.transaction('write');
      await tx.execute('PRAGMA recursive_triggers = ON');
      expect((await tx.execute('PRAGMA recursive_triggers')).rows[0]?.recursive_triggers).toBe(1);
      await tx.execute({ sql: 'UPDATE tables SET total_size = 99 WHERE id = ?', args: [tableId] });
      await tx.commit();
      const rows = await cdcRowsAfter(registry, start);
      expect(rows.map((r) => r.operation)).toEqual(['UPDATE']);
      expect(rows[0]!.after).toMatchObject({ total_size: 99 });
    });
  }

  test.each(recursiveModes)(
    'INSERT OR REPLACE logs DELETE of the old row then INSERT (recursive triggers %s)',
    async (recursive) => {
      const registry = await freshRegistry(backend);
      const tableId = await seedTable(registry);
      const oldId = await insertFile(registry, tableId, 'wh/sales/orders/data/a.parquet');
      const start = await lastCdcId(registry);
      const tx = await registry.client.transaction('write');
      if (backend === 'file') await tx.execute(`PRAGMA recursive_triggers = ${recursive ? 'ON' : 'OFF'}`);
      // Same (table_id, path, etag) as the existing row but no id: conflicts on the unique key.
      await tx.execute({
        sql: `INSERT OR REPLACE INTO table_files (table_id, path, uri, size, etag, row_count)
            VALUES (?, 'wh/sales/orders/data/a.parquet', 's3://b/x', 20, 'e1', 2)`,
        args: [tableId],
      });
      await tx.commit();
      const rows = await cdcRowsAfter(registry, start);
      expect(rows.map((r) => [r.tablename, r.operation])).toEqual([
        ['table_files', 'DELETE'],
        ['table_files', 'INSERT'],
      ]);
      expect(rows[0]!.before).toMatchObject({ id: oldId, size: 10 });
      expect(rows[1]!.after).toMatchObject({ size: 20, row_count: 2 });
      expect(rows[1]!.after!.id).not.toBe(oldId);
      const staged = await registry.client.execute('SELECT count(*) AS n FROM __cdc_replaced');
      expect(staged.rows[0]?.n).toBe(0);
    },
  );

  test('REPLACE on the same primary key logs DELETE then INSERT of that id', async () => {
    const registry = await freshRegistry(backend);
    const tableId = await seedTable(registry);
    const start = await lastCdcId(registry);
    await registry.client.execute({
      sql: `REPLACE INTO tables (id, namespace_id, name, bucket, key_prefix, location)
            SELECT id, namespace_id, name, bucket, key_prefix, 's3://elsewhere' FROM tables WHERE id = ?`,
      args: [tableId],
    });
    const rows = await cdcRowsAfter(registry, start);
    expect(rows.map((r) => r.operation)).toEqual(['DELETE', 'INSERT']);
    expect(rows[0]!.before).toMatchObject({ id: tableId, location: 's3://b/wh/sales/orders' });
    expect(rows[1]!.after).toMatchObject({ id: tableId, location: 's3://elsewhere' });
  });

  test('an upsert that updates logs one UPDATE; DO NOTHING logs nothing and leaves no stale state', async () => {
    const registry = await freshRegistry(backend);
    const tableId = await seedTable(registry);
    const fileId = await insertFile(registry, tableId, 'wh/sales/orders/data/a.parquet');
    const start = await lastCdcId(registry);
    const upsert = `INSERT INTO table_files (table_id, path, uri, size, etag, row_count)
      VALUES (?, 'wh/sales/orders/data/a.parquet', 's3://b/x', 30, 'e1', 3)
      ON CONFLICT (table_id, path, etag) DO UPDATE SET size = excluded.size`;
    await registry.client.execute({ sql: upsert, args: [tableId] });
    await registry.client.execute({
      sql: `INSERT INTO table_files (table_id, path, uri, size, etag) VALUES (?, 'wh/sales/orders/data/a.parquet', 'u', 1, 'e1')
            ON CONFLICT DO NOTHING`,
      args: [tableId],
    });
    await insertFile(registry, tableId, 'wh/sales/orders/data/b.parquet');
    const rows = await cdcRowsAfter(registry, start);
    expect(rows.map((r) => r.operation)).toEqual(['UPDATE', 'INSERT']);
    expect(rows[0]!.before).toMatchObject({ id: fileId, size: 10 });
    expect(rows[0]!.after).toMatchObject({ id: fileId, size: 30 });
    expect(rows[1]!.after).toMatchObject({ path: 'wh/sales/orders/data/b.parquet' });
  });

  test('UPDATE OR REPLACE that collides on a unique key logs the replaced row as DELETE', async () => {
    const registry = await freshRegistry(backend);
    const tableId = await seedTable(registry);
    const a = await insertFile(registry, tableId, 'a.parquet');
    const b = await insertFile(registry, tableId, 'b.parquet');
    const start = await lastCdcId(registry);
    await registry.client.execute({
      sql: "UPDATE OR REPLACE table_files SET path = 'a.parquet' WHERE id = ?",
      args: [b],
    });
    const rows = await cdcRowsAfter(registry, start);
    expect(rows.map((r) => r.operation)).toEqual(['DELETE', 'UPDATE']);
    expect(rows[0]!.before).toMatchObject({ id: a });
    expect(rows[1]!.after).toMatchObject({ id: b, path: 'a.parquet' });
  });

  test('a multi-row statement logs one row per changed row, deletes included', async () => {
    const registry = await freshRegistry(backend);
    const tableId = await seedTable(registry);
    await insertFile(registry, tableId, 'a.parquet');
    await insertFile(registry, tableId, 'b.parquet');
    const start = await lastCdcId(registry);
    await registry.client.execute({
      sql: "UPDATE table_files SET iceberg_state = 'committing' WHERE table_id = ?",
      args: [tableId],
    });
    await registry.client.execute({ sql: 'DELETE FROM table_files WHERE table_id = ?', args: [tableId] });
    const rows = await cdcRowsAfter(registry, start);
    expect(rows.map((r) => r.operation)).toEqual(['UPDATE', 'UPDATE', 'DELETE', 'DELETE']);
    expect(rows[2]!.before).toMatchObject({ iceberg_state: 'committing' });
    expect(rows[2]!.after).toBeNull();
  });

  test('a table of 75 columns gets complete images, nulls in late columns included', async () => {
    const registry = await freshRegistry(backend);
    await createWideTable(registry);
    const start = await lastCdcId(registry);
    await registry.client.execute("INSERT INTO wide (id, code, c1, c70, c72) VALUES (1, 'x', 1, 70, NULL)");
    await registry.client.execute('UPDATE wide SET c71 = 71, c70 = NULL WHERE id = 1');
    const rows = await cdcRowsAfter(registry, start);
    expect(rows).toHaveLength(2);
    const inserted = rows[0]!.after!;
    expect(Object.keys(inserted)).toHaveLength(75);
    expect(inserted).toMatchObject({ id: 1, code: 'x', c1: 1, c70: 70, c71: null, c72: null });
    expect(rows[1]!.before).toMatchObject({ c70: 70, c71: null });
    expect(rows[1]!.after).toMatchObject({ c70: null, c71: 71 });
    expect(Object.keys(rows[1]!.after!)).toHaveLength(75);
  });

  test('BLOB values never fail the write and are hex-encoded in images', async () => {
    const registry = await freshRegistry(backend);
    await createWideTable(registry);
    await registry.client.execute('CREATE TABLE loose (id INTEGER PRIMARY KEY, note TEXT, anything)');
    await installCdcTriggers(registry.client, 'loose');
    const start = await lastCdcId(registry);
    const bytes = new Uint8Array([0, 1, 0xfe, 0xff]);
    await registry.client.execute({
      sql: "INSERT INTO wide (id, code, payload) VALUES (2, 'y', ?)",
      args: [bytes],
    });
    await registry.client.execute({
      sql: 'INSERT INTO loose (id, note, anything) VALUES (1, ?, ?)',
      args: [bytes, bytes],
    });
    await registry.client.execute("UPDATE loose SET note = 'text now' WHERE id = 1");
    const rows = await cdcRowsAfter(registry, start);
    expect(rows.map((r) => r.operation)).toEqual(['INSERT', 'INSERT', 'UPDATE']);
    expect(rows[0]!.after).toMatchObject({ payload: { $hex: '0001FEFF' } });
    expect(rows[1]!.after).toMatchObject({ note: { $hex: '0001FEFF' }, anything: { $hex: '0001FEFF' } });
    expect(rows[2]!.before).toMatchObject({ note: { $hex: '0001FEFF' } });
    expect(rows[2]!.after).toMatchObject({ note: 'text now' });
  });

  test('file_statistics images leave out column_stats_json', async () => {
    const registry = await freshRegistry(backend);
    const tableId = await seedTable(registry);
    const fileId = await insertFile(registry, tableId, 'a.parquet');
    const start = await lastCdcId(registry);
    await registry.client.execute({
      sql: `INSERT INTO file_statistics (file_id, table_id, record_count, file_size, column_count, column_stats_json)
            VALUES (?, ?, 1, 10, 1, '{"1":{"values":1}}')`,
      args: [fileId, tableId],
    });
    const rows = await cdcRowsAfter(registry, start);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.after).toMatchObject({ file_id: fileId, record_count: 1 });
    expect(Object.keys(rows[0]!.after!)).not.toContain('column_stats_json');
  });

  test('triggers are regenerated when a monitored table gains a column, and only then', async () => {
    const registry = await freshRegistry(backend);
    expect((await migrate(registry.client)).triggersInstalled).toEqual([]);
    await registry.client.execute("ALTER TABLE table_snapshots ADD COLUMN note TEXT DEFAULT 'n'");
    expect((await migrate(registry.client)).triggersInstalled).toEqual(['table_snapshots']);
    expect((await migrate(registry.client)).triggersInstalled).toEqual([]);
    const tableId = await seedTable(registry);
    const start = await lastCdcId(registry);
    await registry.client.execute({
      sql: `INSERT INTO table_snapshots (table_id, snapshot_id, sequence_number, operation, manifest_list, committed_at)
            VALUES (?, '9223372036854775807', 1, 'append', 'm', '2026-01-01T00:00:00.000Z')`,
      args: [tableId],
    });
    const rows = await cdcRowsAfter(registry, start);
    // Snapshot ids are text: all 64 bits survive JSON.
    expect(rows[0]!.after).toMatchObject({ note: 'n', snapshot_id: '9223372036854775807' });
  });

  if (backend === 'sqld') {
    test('sqld refuses to turn recursive_triggers on: its default (off) holds', async () => {
      const registry = await freshRegistry(backend);
      await expect(registry.client.execute('PRAGMA recursive_triggers = ON')).rejects.toThrow(
        /unsupported statement/,
      );
      expect((await registry.client.execute('PRAGMA recursive_triggers')).rows[0]?.recursive_triggers).toBe(
        0,
      );
    });
  }

  test('a rejected write leaves no log row (the trigger is part of the statement)', async () => {
    const registry = await freshRegistry(backend);
    const start = await lastCdcId(registry);
    await expect(
      registry.client.execute(
        "INSERT INTO tables (namespace_id, name, bucket, key_prefix, location) VALUES (999, 't', 'b', 'p', 'l')",
      ),
    ).rejects.toThrow(/FOREIGN KEY/);
    expect(await cdcRowsAfter(registry, start)).toEqual([]);
  });
});
