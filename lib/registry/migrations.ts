/**
 * Applies the schema migrations and (re)installs the CDC triggers, idempotently: every cold
 * start runs it, and several may run at once (each step is a write transaction that re-checks
 * what is already applied, so the loser of a race finds the work done).
 */
import type { Client, Transaction } from '@libsql/client';
import { errorMessage } from '../errors.js';
import { installCdcTriggers } from './cdcTriggers.js';
import { RegistryError } from './registryError.js';
import { writeTransaction } from './writeTransaction.js';
import { IMAGE_EXCLUDED_COLUMNS, MONITORED_TABLES } from './rows.js';
import { MIGRATIONS, type Migration, SCHEMA_MIGRATIONS_DDL } from './schema.js';

export interface MigrationReport {
  applied: number[];
  /** Tables whose triggers were (re)generated because their column list changed. */
  triggersInstalled: string[];
}

async function appliedVersions(db: Pick<Client | Transaction, 'execute'>): Promise<Set<number>> {
  const result = await db.execute('SELECT version FROM schema_migrations');
  return new Set(result.rows.map((r) => Number(r.version)));
}

async function applyOne(client: Client, migration: Migration): Promise<boolean> {
  return writeTransaction(client, async (tx) => {
    if ((await appliedVersions(tx)).has(migration.version)) return false;
    for (const sql of migration.statements) await tx.execute(sql);
    await tx.execute({
      sql: 'INSERT INTO schema_migrations (version, name) VALUES (?, ?)',
      args: [migration.version, migration.name],
    });
    return true;
  });
}

/** Brings the database to the latest schema and makes the CDC triggers match the live tables. */
export async function migrate(
  client: Client,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationReport> {
  const report: MigrationReport = { applied: [], triggersInstalled: [] };
  try {
    await client.execute(SCHEMA_MIGRATIONS_DDL);
    const done = await appliedVersions(client);
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      if (await applyOne(client, migration)) report.applied.push(migration.version);
    }
    report.triggersInstalled = await writeTransaction(client, async (tx) => {
      const installed: string[] = [];
      for (const table of MONITORED_TABLES) {
        const excludedColumns = IMAGE_EXCLUDED_COLUMNS[table];
        if (await installCdcTriggers(tx, table, { excludedColumns })) installed.push(table);
      }
      return installed;
    });
  } catch (cause) {
    throw new RegistryError('migration', `registry migration failed: ${errorMessage(cause)}`, {
      cause,
      retryable: true,
      details: { applied: report.applied },
    });
  }
  return report;
}
