/**
 * S3 `ObjectRemoved`: the object's file rows become `removed` and stop counting in the table's
 * statistics. A stale removal (the key was written again since) only removes the versions that
 * are really gone: the live object's ETag is checked with a HEAD first.
 *
 * A file compaction already replaced is `removed` while its rows live on in a compaction output:
 * its removal marks it retracted instead, and the compactor rewrites the output without them.
 */
import type { Client } from '@libsql/client';
import { normalizePrefix, parseWarehouseKey } from '../layout/warehousePath.js';
import type { ObjectStore } from '../store/objectStore.js';
import { markRetracted } from './compactionLineage.js';
import { normalizeEtag, type RegistrationOptions } from './planRegistration.js';
import { applyDelta } from './writeRegistrations.js';
import { writeTransaction } from './writeTransaction.js';

export interface RemovedObjectRef {
  bucket: string;
  key: string;
}

export type UnregisterOutcome =
  | { status: 'removed'; tableId: number; fileIds: number[] }
  /** Compacted away already: its rows are now to be taken out of the compaction outputs. */
  | { status: 'retracted'; tableId: number; fileIds: number[] }
  | { status: 'ignored'; reason: string };

export async function unregisterObject(
  client: Client,
  object: RemovedObjectRef,
  store: ObjectStore,
  options: Pick<RegistrationOptions, 'warehousePrefix'> = {},
): Promise<UnregisterOutcome> {
  const prefix = normalizePrefix(options.warehousePrefix ?? '');
  const parsed = parseWarehouseKey(object.key, prefix);
  if (parsed.kind !== 'data') return { status: 'ignored', reason: parsed.reason };
  const path = parsed.key.path;
  const live = await store.head(path);
  const keepEtag = live ? normalizeEtag(live.etag) : null;
  return writeTransaction(client, async (tx) => {
    const table = await tx.execute({
      sql: `SELECT t.id FROM tables t JOIN namespaces n ON n.id = t.namespace_id WHERE n.name = ? AND t.name = ?`,
      args: [parsed.key.namespace, parsed.key.table],
    });
    const tableId = table.rows[0] ? Number(table.rows[0].id) : undefined;
    if (tableId === undefined) return { status: 'ignored', reason: 'no table registered for this key' };
    // Rejected rows are marked too (their reason stays): the object they describe is gone.
    const gone = await tx.execute({
      sql: `SELECT id, row_count, size, iceberg_state FROM table_files
            WHERE table_id = ? AND path = ? AND etag IS NOT ?
              AND +iceberg_state IN ('pending', 'committing', 'committed', 'rejected')`,
      args: [tableId, path, keepEtag],
    });
    if (gone.rows.length === 0) {
      const replaced = await tx.execute({
        sql: `SELECT id FROM table_files WHERE table_id = ? AND path = ? AND etag IS NOT ? AND +iceberg_state = 'removed'`,
        args: [tableId, path, keepEtag],
      });
      const retracted = await markRetracted(
        tx,
        replaced.rows.map((r) => Number(r.id)),
        new Date().toISOString(),
      );
      if (retracted.length > 0) return { status: 'retracted', tableId, fileIds: retracted };
      return { status: 'ignored', reason: 'no live file registered at this key' };
    }
    const fileIds = gone.rows.map((r) => Number(r.id));
    await tx.execute({
      sql: `UPDATE table_files SET iceberg_state = 'removed' WHERE id IN (SELECT value FROM json_each(?))`,
      args: [JSON.stringify(fileIds)],
    });
    const counted = gone.rows.filter((r) => r.iceberg_state !== 'rejected');
    await applyDelta(tx, tableId, {
      rows: -counted.reduce((sum, r) => sum + Number(r.row_count ?? 0), 0),
      bytes: -counted.reduce((sum, r) => sum + Number(r.size), 0),
      files: -counted.length,
    });
    return { status: 'removed', tableId, fileIds };
  });
}
