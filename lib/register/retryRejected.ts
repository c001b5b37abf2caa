/**
 * Objects refused while their table did not exist yet (an unreadable file, or one whose schema
 * could not define the table, landing before any good file) are registered again once a file
 * creates that table: they then get a row in the table (pending, or rejected with the reason
 * there) and their record outside any table is dropped.
 */
import type { Logger } from '../log.js';
import type { RegistrationOutcome } from '../registry/registrationGroup.js';
import type { Registry } from '../registry/registry.js';
import type { S3ObjectRef } from '../registry/planRegistration.js';
import type { ObjectStore } from '../store/objectStore.js';

export interface RetryDeps {
  registry: Registry;
  store: ObjectStore;
  warehousePrefix: string;
  logger: Logger;
}

/** Registers again the rejected objects under the tables these outcomes created; their outcomes. */
export async function retryRejectedInNewTables(
  deps: RetryDeps,
  outcomes: readonly RegistrationOutcome[],
): Promise<RegistrationOutcome[]> {
  const created = outcomes.flatMap((o) => (o.status === 'registered' && o.tableCreated ? [o.tableId] : []));
  if (created.length === 0) return [];
  const keyPrefix = deps.warehousePrefix === '' ? '' : `${deps.warehousePrefix}/`;
  const waiting = await deps.registry.client.execute({
    sql: `SELECT r.id, r.bucket, r.key, r.etag, r.size FROM tables t
            JOIN rejected_objects r ON r.bucket = t.bucket
             AND substr(r.key, 1, length(?) + length(t.key_prefix) + 1) = ? || t.key_prefix || '/'
           WHERE t.id IN (SELECT value FROM json_each(?))`,
    args: [keyPrefix, keyPrefix, JSON.stringify(created)],
  });
  if (waiting.rows.length === 0) return [];
  const objects: S3ObjectRef[] = waiting.rows.map((row) => ({
    bucket: String(row.bucket),
    key: String(row.key),
    etag: String(row.etag),
    size: Number(row.size),
  }));
  const retried = await deps.registry.registerBatch(objects, deps.store, {
    warehousePrefix: deps.warehousePrefix,
  });
  // Dropped once the object is the table's business (a row there) or gone; kept if it is still refused outside.
  const settled = waiting.rows.filter((_, i) => {
    const outcome = retried[i]!;
    return outcome.status !== 'failed' && !(outcome.status === 'rejected' && outcome.fileId === undefined);
  });
  if (settled.length > 0)
    await deps.registry.client.execute({
      sql: 'DELETE FROM rejected_objects WHERE id IN (SELECT value FROM json_each(?))',
      args: [JSON.stringify(settled.map((row) => Number(row.id)))],
    });
  deps.logger.info(
    { retried: objects.length, settled: settled.length },
    'rejected objects retried in their new table',
  );
  return retried;
}
