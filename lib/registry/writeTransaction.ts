/**
 * One registry write transaction, retried when the database stays busy (sqld under concurrent
 * writers, or another process holding a local file past the busy timeout): the whole unit of
 * work is run again, which is safe because it only touches the database.
 */
import type { Client, InStatement, ResultSet, Transaction } from '@libsql/client';
import { errorMessage } from '../errors.js';
import { RegistryError } from './registryError.js';

export interface WriteTransactionOptions {
  /** Attempts before giving up on a busy database. */
  attempts?: number;
}

/** An SQL boolean expression with its arguments: a condition a batch's statements hold under. */
export interface SqlCondition {
  sql: string;
  args: (string | number)[];
}

/** Whether a driver error's code or message matches `pattern` (libSQL drivers differ in which they set). */
function sqliteErrorMatches(error: unknown, pattern: RegExp): boolean {
  return pattern.test(`${(error as { code?: unknown })?.code ?? ''} ${errorMessage(error)}`);
}

export function isBusy(error: unknown): boolean {
  return sqliteErrorMatches(error, /SQLITE_BUSY|database is locked/i);
}

/** A constraint (a unique key, say) refused the write. */
export function isConstraintViolation(error: unknown): boolean {
  return sqliteErrorMatches(error, /SQLITE_CONSTRAINT|UNIQUE constraint failed/i);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function attempt<T>(client: Client, work: (tx: Transaction) => Promise<T>): Promise<T> {
  const tx = await client.transaction('write');
  try {
    const result = await work(tx);
    await tx.commit();
    return result;
  } catch (error) {
    await tx.rollback().catch(() => undefined);
    throw error;
  } finally {
    tx.close();
  }
}

/** Runs `work` in a write transaction: all of it commits or none of it does. */
export async function writeTransaction<T>(
  client: Client,
  work: (tx: Transaction) => Promise<T>,
  options: WriteTransactionOptions = {},
): Promise<T> {
  return whileBusy(() => attempt(client, work), options);
}

/**
 * Runs statements that need no answer in between as one write transaction in ONE request
 * (`client.batch`): against sqld or Turso a transaction costs a round trip per statement, a
 * batch one in all. Retried like `writeTransaction` while the database is busy.
 */
export async function writeBatch(
  client: Client,
  statements: InStatement[],
  options: WriteTransactionOptions = {},
): Promise<ResultSet[]> {
  return whileBusy(() => client.batch(statements, 'write'), options);
}

async function whileBusy<T>(run: () => Promise<T>, options: WriteTransactionOptions): Promise<T> {
  const attempts = options.attempts ?? 60;
  for (let n = 1; ; n++) {
    try {
      return await run();
    } catch (error) {
      if (!isBusy(error)) throw error;
      if (n >= attempts) {
        throw new RegistryError('backend', `registry stayed busy for ${attempts} attempts`, {
          cause: error,
          retryable: true,
        });
      }
      // Jittered, capped backoff: about 6 s in total before giving up.
      await sleep(Math.min(200, 5 * n) * (0.5 + Math.random()));
    }
  }
}
