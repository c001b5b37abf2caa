/**
 * The catalog_sync component (DESIGN.md step 5): keeps the AWS Glue Data Catalog's Iceberg
 * tables in step with the registry. Level-triggered: a moved metadata pointer, a schema change
 * or a drop says "look at this table", the look reads the registry, so repeated or dropped
 * events are harmless and `refresh` reconciles every table.
 * A permission problem (access denied, a database it may not create) is not retried: it is
 * logged once per table and shown by `onHealth` until a later look succeeds, so a missing
 * grant costs one failed request per commit rather than a retry storm.
 */
import { tableIdOf } from '../astha/events.js';
import { wakesCatalogSync } from '../astha/wakes.js';
import { SUBSCRIPTIONS } from '../astha/subscriptions.js';
import type { ComponentLogic, HealthReport } from '../components/component.js';
import { AsthaError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { syncableTables } from './catalogSyncReads.js';
import { isGlueError } from './glueCatalog.js';
import { type GlueSyncDeps, type GlueSyncOutcome, syncTable } from './syncTable.js';

export interface CatalogSyncDeps extends GlueSyncDeps {
  logger: Logger;
}

export function createCatalogSync(deps: CatalogSyncDeps): ComponentLogic {
  /** Tables Glue cannot be brought in step for, with the reason: what `onHealth` reports. */
  const problems = new Map<number, string>();

  const look = async (tableId: number, why: string): Promise<GlueSyncOutcome | undefined> => {
    try {
      const outcome = await syncTable(tableId, deps);
      report(outcome, why);
      return outcome;
    } catch (error) {
      if (!isGlueError(error, 'access_denied')) throw error;
      const reason = `Glue access denied: ${errorMessage(error)}`;
      if (problems.get(tableId) !== reason)
        deps.logger.error({ tableId, why, err: reason }, 'glue sync denied');
      problems.set(tableId, reason);
      return undefined;
    }
  };

  const report = (outcome: GlueSyncOutcome, why: string): void => {
    const where = `${outcome.database}.${outcome.name}`;
    if (outcome.result === 'foreign') {
      const reason = `Glue table ${where} exists and is not astha's: left alone`;
      if (problems.get(outcome.tableId) !== reason) deps.logger.warn({ ...outcome, why }, reason);
      problems.set(outcome.tableId, reason);
      return;
    }
    problems.delete(outcome.tableId);
    if (outcome.result === 'create' || outcome.result === 'update') {
      deps.logger.info({ ...outcome, why }, `glue table ${outcome.result}d`);
    } else if (outcome.result === 'dropped') {
      deps.logger.info({ ...outcome, why }, 'table dropped: its Glue table is kept and no longer updated');
    }
  };

  return {
    name: 'catalog_sync',
    subscribedTables: SUBSCRIPTIONS.catalog_sync,

    async onEvent(event) {
      const tableId = tableIdOf(event);
      if (tableId === undefined || !wakesCatalogSync(event)) return;
      await look(tableId, `${event.table} ${event.operation}`);
    },

    async onRefresh() {
      const failed: number[] = [];
      for (const tableId of await syncableTables(deps.registry.client)) {
        try {
          await look(tableId, 'refresh');
        } catch (error) {
          // One table Glue keeps refusing must not keep the others stale.
          failed.push(tableId);
          deps.logger.warn({ tableId, err: errorMessage(error) }, 'refresh could not sync glue table');
        }
      }
      if (failed.length > 0) {
        throw new AsthaError('refresh_failed', `glue sync failed for ${failed.length} table(s)`, {
          retryable: true,
          details: { tableIds: failed },
        });
      }
    },

    async onHealth(): Promise<HealthReport> {
      if (problems.size === 0) return { healthy: true, detail: 'glue in step' };
      const list = [...problems].map(([tableId, reason]) => `table ${tableId}: ${reason}`);
      return { healthy: false, detail: list.join('; ') };
    },
  };
}
