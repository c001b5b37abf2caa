/**
 * Counts the requests a test's code sends through a registry client (execute, batch,
 * transaction): how tests show that a lookup was skipped or that a commit is one request.
 */
import type { Client } from '@libsql/client';

export interface RequestCounter {
  /** Requests sent since the counter was made. */
  count(): number;
  /** Puts the client's own methods back. */
  stop(): void;
}

export function countRequests(client: Client): RequestCounter {
  let count = 0;
  const originals = { execute: client.execute, batch: client.batch, transaction: client.transaction };
  for (const method of ['execute', 'batch', 'transaction'] as const) {
    const original = client[method].bind(client) as (...args: unknown[]) => unknown;
    Object.assign(client, {
      [method]: (...args: unknown[]) => {
        count++;
        return original(...args);
      },
    });
  }
  return { count: () => count, stop: () => Object.assign(client, originals) };
}
