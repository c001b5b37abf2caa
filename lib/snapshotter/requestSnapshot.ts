/**
 * `astha snapshot <table>`: a manual request to commit the table's pending files now, whatever
 * its commit policy says. The request is a registry row (so it survives until answered) and a
 * touch of the table's definition row, whose change event wakes the iceberg_updater at once.
 */
import { AsthaError } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import { recordSnapshotRequest } from '../registry/snapshotterState.js';

export async function requestSnapshot(
  registry: Registry,
  tableId: number,
  nowMs = Date.now(),
): Promise<void> {
  const table = await registry.tableById(tableId);
  if (table?.state !== 'active') {
    throw new AsthaError('invalid_request', `table ${tableId} is not an active table`, {
      retryable: false,
      details: { tableId },
    });
  }
  await recordSnapshotRequest(registry.client, tableId, nowMs);
}
