/**
 * Random but valid changes to the real registry tables, so the CDC triggers (not the test)
 * write `__cdc_log`. A copy trigger keeps every log row the drainer will delete, which is
 * what the delivery checks compare against.
 */
import type { Client, Transaction } from '@libsql/client';
import { parseLogRow } from '../../lib/astha/events.js';
import { writeTransaction } from '../../lib/registry/writeTransaction.js';
import type { ExpectedChange } from './sqsHelpers.js';

export async function keepLogCopy(client: Client): Promise<void> {
  await client.batch(
    [
      `CREATE TABLE IF NOT EXISTS test_log_copy (id INTEGER PRIMARY KEY, timestamp TEXT, tablename TEXT,
         operation TEXT, before TEXT, after TEXT)`,
      `CREATE TRIGGER IF NOT EXISTS test_log_copy_insert AFTER INSERT ON __cdc_log BEGIN
         INSERT INTO test_log_copy (id, timestamp, tablename, operation, before, after)
         VALUES (NEW.id, NEW.timestamp, NEW.tablename, NEW.operation, NEW.before, NEW.after);
       END`,
    ],
    'write',
  );
}

export async function loggedChanges(client: Client): Promise<ExpectedChange[]> {
  const result = await client.execute(
    'SELECT id, timestamp, tablename, operation, before, after FROM test_log_copy ORDER BY id',
  );
  return result.rows.map((row) => {
    const image = JSON.parse(String(row['after'] ?? row['before'])) as Record<string, unknown>;
    const table = String(row['tablename']);
    const tableId = table === 'tables' ? image['id'] : image['table_id'];
    const parsed = parseLogRow({
      id: Number(row['id']),
      timestamp: String(row['timestamp']),
      tablename: table,
      operation: String(row['operation']),
      before: row['before'] == null ? null : String(row['before']),
      after: row['after'] == null ? null : String(row['after']),
    });
    if (!parsed.ok) throw new Error(`log row ${row['id']} does not parse: ${parsed.reason}`);
    return { id: Number(row['id']), table, group: `table-${tableId}`, event: parsed.event };
  });
}

/** A tiny deterministic PRNG (mulberry32) so a failing run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface World {
  tables: number[];
  files: { id: number; table: number }[];
  snapshots: { table: number; id: string }[];
  nextFile: number;
  nextTable: number;
  nextSnapshot: number;
}

type Tx = Transaction;
const pick = <T>(random: () => number, items: readonly T[]): T | undefined =>
  items[Math.floor(random() * items.length)];

async function createTable(tx: Tx, world: World): Promise<void> {
  const id = world.nextTable++;
  await tx.execute({
    sql: `INSERT INTO tables (id, namespace_id, name, bucket, key_prefix, location) VALUES (?, 1, ?, 'b', ?, ?)`,
    args: [id, `t${id}`, `w/ns/t${id}`, `s3://b/w/ns/t${id}`],
  });
  await tx.execute({
    sql: `INSERT INTO table_metadata (table_id, schema_id, schema_json, last_column_id, partition_spec_json, sort_order_json)
          VALUES (?, 0, '{}', 0, '{}', '{}')`,
    args: [id],
  });
  world.tables.push(id);
}

/** One random change; returns without writing when the picked change has no target yet. */
async function randomChange(tx: Tx, world: World, random: () => number): Promise<void> {
  const roll = random();
  const table = pick(random, world.tables);
  if (table === undefined || roll < 0.04) return createTable(tx, world);
  if (roll < 0.4) {
    const id = world.nextFile++;
    await tx.execute({
      sql: `INSERT INTO table_files (id, table_id, path, uri, size, etag, row_count) VALUES (?, ?, ?, ?, 100, 'e', 10)`,
      args: [id, table, `w/ns/t${table}/data/${id}.parquet`, `s3://b/w/ns/t${table}/data/${id}.parquet`],
    });
    await tx.execute({
      sql: `INSERT INTO file_statistics (file_id, table_id, record_count, file_size, column_count, column_stats_json)
            VALUES (?, ?, 10, 100, 1, '{}')`,
      args: [id, table],
    });
    world.files.push({ id, table });
    return;
  }
  const file = pick(random, world.files);
  if (roll < 0.6 && file) {
    await tx.execute({
      sql: `UPDATE table_files SET iceberg_state = ?, size = size + 1 WHERE id = ?`,
      args: [random() < 0.5 ? 'committed' : 'pending', file.id],
    });
    return;
  }
  if (roll < 0.68 && file) {
    await tx.execute({ sql: 'DELETE FROM file_statistics WHERE file_id = ?', args: [file.id] });
    await tx.execute({ sql: 'DELETE FROM table_files WHERE id = ?', args: [file.id] });
    world.files.splice(world.files.indexOf(file), 1);
    return;
  }
  if (roll < 0.78) {
    await tx.execute({ sql: 'UPDATE tables SET row_count = row_count + 1 WHERE id = ?', args: [table] });
    return;
  }
  if (roll < 0.86) {
    await tx.execute({
      sql: 'UPDATE table_metadata SET properties_json = ? WHERE table_id = ?',
      args: [JSON.stringify({ n: String(world.nextSnapshot) }), table],
    });
    return;
  }
  const snapshot = pick(random, world.snapshots);
  if (roll < 0.95 || !snapshot) {
    const id = String(9_000_000_000_000_000n + BigInt(world.nextSnapshot++));
    await tx.execute({
      sql: `INSERT INTO table_snapshots (table_id, snapshot_id, sequence_number, operation, manifest_list, committed_at)
            VALUES (?, ?, ?, 'append', 'm', '2026-01-01T00:00:00.000Z')`,
      args: [table, id, world.nextSnapshot],
    });
    world.snapshots.push({ table, id });
    return;
  }
  await tx.execute({
    sql: 'DELETE FROM table_snapshots WHERE table_id = ? AND snapshot_id = ?',
    args: [snapshot.table, snapshot.id],
  });
  world.snapshots.splice(world.snapshots.indexOf(snapshot), 1);
}

export interface ChangeWriter {
  /** Writes changes in transactions of `perTransaction` until at least `count` log rows were added. */
  write(count: number, perTransaction?: number): Promise<void>;
}

export async function changeWriter(client: Client, seed: number): Promise<ChangeWriter> {
  await client.execute("INSERT OR IGNORE INTO namespaces (id, name) VALUES (1, 'ns')");
  const random = prng(seed);
  const world: World = { tables: [], files: [], snapshots: [], nextFile: 1, nextTable: 1, nextSnapshot: 1 };
  const logged = async () =>
    Number((await client.execute('SELECT count(*) AS n FROM test_log_copy')).rows[0]?.['n']);
  return {
    async write(count, perTransaction = 50) {
      const target = (await logged()) + count;
      while ((await logged()) < target) {
        const saved = structuredClone(world);
        await writeTransaction(client, async (tx) => {
          // A busy retry re-runs the transaction: start again from the state it started from.
          Object.assign(world, structuredClone(saved));
          for (let i = 0; i < perTransaction; i++) await randomChange(tx, world, random);
        });
      }
    },
  };
}
