/**
 * The drainer's registry writes: one write transaction, retried while the database is busy.
 *
 * Why not `writeTransaction` alone: with libSQL's local driver, a statement that fails with
 * SQLITE_BUSY (a BEGIN IMMEDIATE, or a write) is left un-reset on its connection, and every
 * later COMMIT on that connection fails with "cannot commit transaction - SQL statements in
 * progress" - retrying on the same connection can never succeed. Reconnecting drops the
 * poisoned connection. That is only safe for a client nobody else is using mid-operation,
 * which holds for the drainer's own client (its work is sequential).
 */
import type { Client, Transaction } from '@libsql/client';
import { AsthaError, errorMessage } from '../errors.js';
import { isBusy } from '../registry/writeTransaction.js';

const ATTEMPTS = 60;

async function once<T>(client: Client, work: (tx: Transaction) => Promise<T>): Promise<T> {
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

export async function registryWrite<T>(client: Client, work: (tx: Transaction) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await once(client, work);
    } catch (error) {
      if (!isBusy(error)) throw error;
      if (attempt >= ATTEMPTS) {
        throw new AsthaError('registry_busy', `registry stayed busy: ${errorMessage(error)}`, {
          cause: error,
          retryable: true,
        });
      }
      if (client.protocol === 'file') await client.reconnect();
      // Jittered, capped backoff: a few seconds in all before giving up.
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, 5 * attempt) * (0.5 + Math.random())));
    }
  }
}
