/**
 * `astha snapshot <table>`: a manual request to commit the table's pending files now, whatever
 * its commit policy says. The request is a registry row, so it survives until answered: by the
 * next look of the iceberg_updater at the table (its gate sees the request) or the snapshotter's
 * next tick, whichever comes first. The snapshotter's tables are not captured by CDC, so the
 * request itself sends no event; a caller that wants the commit at once follows it with
 * `commitPending` (the claim protocol makes that safe next to the components).
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
