/**
 * The drainer's own registry tables. Created idempotently at start-up, next to the
 * registry's `__cdc_log` (which the registry module owns), so the drainer's state lives in
 * the same database as the changes and survives Lambda invocations.
 */
import type { Client } from '@libsql/client';
import { writeTransaction } from '../registry/writeTransaction.js';

const STATEMENTS = [
  // Rows that could not be converted: kept with the reason, never silently dropped.
  `CREATE TABLE IF NOT EXISTS __cdc_dead (
    id INTEGER PRIMARY KEY,
    timestamp TEXT,
    tablename TEXT,
    operation TEXT,
    before TEXT,
    after TEXT,
    created_at TEXT,
    reason TEXT NOT NULL,
    dead_at TEXT NOT NULL
  )`,
  // One row per lease name; expires_at in epoch milliseconds of the holder's clock.
  `CREATE TABLE IF NOT EXISTS __astha_lease (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  )`,
  // Circuit breaker per component; needs_refresh = events were skipped while open.
  `CREATE TABLE IF NOT EXISTS __astha_breaker (
    component TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    opened_at INTEGER,
    needs_refresh INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    updated_at INTEGER NOT NULL
  )`,
];

/** Clients whose database already has the tables: an idle run must not pay a write for them. */
const ensured = new WeakSet<Client>();

export async function ensureAsthaSchema(client: Client): Promise<void> {
  if (ensured.has(client)) return;
  await writeTransaction(client, (tx) => tx.batch(STATEMENTS));
  ensured.add(client);
}
