/**
 * The compactor component (DESIGN.md step 5): level-triggered like the others. A file becoming
 * `committed` may push a partition over the small-file threshold, so it is a reason to look at
 * the table; the look plans from the registry, so dropped or repeated events are harmless.
 * The compactor's own writes (outputs inserted `committed` with `astha_written`, inputs moved
 * to `removed`) do not wake it again. A compacted-away file being retracted (the user deleted
 * or overwrote it) does: its rows are taken out of the outputs.
 */
import { tableIdOf } from '../astha/events.js';
import { wakesCompactor } from '../astha/wakes.js';
import { SUBSCRIPTIONS } from '../astha/subscriptions.js';
import type { ComponentLogic, HealthReport } from '../components/component.js';
import { LookCoalescer } from '../components/lookCoalescer.js';
import { AsthaError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { tablesWithCommittedFiles } from '../registry/compactionState.js';
import type { Registry } from '../registry/registry.js';
import { type CompactionReport, type CompactorDeps, compactTable } from './compactTable.js';

export interface CompactorComponentDeps extends CompactorDeps {
  logger: Logger;
}

export function createCompactor(deps: CompactorComponentDeps): ComponentLogic {
  const looks = new LookCoalescer(deps.registry.client);
  const look = async (tableId: number): Promise<CompactionReport> => {
    const report = await compactTable(tableId, deps);
    if (report.recovered.length > 0 || report.groups.length > 0) {
      deps.logger.info({ ...report }, 'compactor looked at table');
    }
    return report;
  };

  return {
    name: 'compactor',
    subscribedTables: SUBSCRIPTIONS.compactor,

    async onEvent(event) {
      const tableId = tableIdOf(event);
      if (tableId === undefined || !wakesCompactor(event)) return;
      // A backlog of commit events for one table needs one look, not one each.
      if (looks.seen(tableId, event.id)) return;
      await looks.look(tableId, async () => {
        await look(tableId);
        return true;
      });
    },

    async onRefresh() {
      const failed: number[] = [];
      for (const tableId of await tablesWithCommittedFiles(deps.registry.client)) {
        try {
          await look(tableId);
        } catch (error) {
          // One table's failure must not keep the others from being compacted.
          failed.push(tableId);
          deps.logger.warn({ tableId, err: errorMessage(error) }, 'refresh compaction failed');
        }
      }
      if (failed.length > 0) {
        throw new AsthaError('refresh_failed', `compaction failed for ${failed.length} table(s)`, {
          retryable: true,
          details: { tableIds: failed },
        });
      }
    },

    onHealth: () => compactorHealth(deps.registry),
  };
}

async function compactorHealth(registry: Registry): Promise<HealthReport> {
  try {
    const result = await registry.client.execute(
      "SELECT count(*) AS n FROM table_files WHERE iceberg_state = 'committed' AND astha_written = 1",
    );
    return { healthy: true, detail: `${Number(result.rows[0]?.n ?? 0)} live compacted files` };
  } catch (error) {
    return { healthy: false, detail: `registry unreachable: ${errorMessage(error)}` };
  }
}
