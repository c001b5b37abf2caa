/**
 * The metadata_orchestrator component: keeps each table's Iceberg metadata (schema,
 * properties) equal to its definition in the registry.
 *
 * - a new table gets its first metadata version, empty (`ensureTable`);
 * - a new schema in `table_metadata` (a file brought optional columns or a wider type) is
 *   committed as add-schema + set-current-schema with the field ids the registry assigned;
 * - property changes (commit policy, target file size) become set-/remove-properties;
 * - a dropped table is left alone: its metadata and data stay where they are.
 *
 * Like the updater it is level-triggered: every look compares the newest Iceberg version with
 * the registry and commits the difference, so a repeated, late or missed event (repaired by
 * `onRefresh`) is harmless. Schema decisions reuse `schemaUpdates`, the function the updater's
 * appends use, so both components always agree on what the schema must become.
 */
import { tableIdOf } from '../astha/events.js';
import { wakesOrchestrator } from '../astha/wakes.js';
import { SUBSCRIPTIONS } from '../astha/subscriptions.js';
import { AsthaError, errorMessage } from '../errors.js';
import { schemaUpdates } from '../iceberg/commit/appendFiles.js';
import { type CommitClock, type CommitLimits, systemCommitClock } from '../iceberg/commit/commitBackoff.js';
import { commitTable } from '../iceberg/commit/commitTable.js';
import {
  definitionFromRegistry,
  ensureTable,
  type TableDefinitionInput,
} from '../iceberg/commit/ensureTable.js';
import { tablePointer } from '../iceberg/commit/registryRecords.js';
import type { TableMetadata } from '../iceberg/spec/tableMetadata.js';
import type { TableCommit } from '../iceberg/spec/tableUpdate.js';
import type { TableRef } from '../iceberg/tableLocation.js';
import type { Logger } from '../log.js';
import { recordTablePointer } from '../registry/commitState.js';
import type { Registry } from '../registry/registry.js';
import type { ObjectStore } from '../store/objectStore.js';
import type { ComponentLogic, HealthReport } from './component.js';

export interface MetadataOrchestratorDeps {
  registry: Registry;
  /** The warehouse store, rooted where registration roots it. */
  store: ObjectStore;
  logger: Logger;
  clock?: CommitClock;
  limits?: Partial<CommitLimits>;
}

/** What one look at a table did. */
export type SyncOutcome =
  | { status: 'skipped'; reason: 'unknown table' | 'dropped' }
  | { status: 'in sync' | 'created' | 'updated'; version: number; metadataLocation: string };

/**
 * The updates that bring `metadata` to `definition`: the schema and the properties exactly as
 * the appends compute them (astha owns the table's properties: everything in them came from the
 * registry or `managedProperties`, and what the registry no longer has is removed).
 */
export function definitionUpdates(metadata: TableMetadata, definition: TableDefinitionInput): TableCommit {
  const { updates } = schemaUpdates(metadata, definition);
  // The schema decision was made against this current schema: another writer changing it first
  // means the decision is recomputed on the new base, not re-applied.
  return {
    updates,
    requirements: [{ type: 'assert-current-schema-id', currentSchemaId: metadata.currentSchemaId }],
  };
}

/**
 * One look at a table: creates its first metadata version if it has none, then commits
 * whatever schema or property difference remains against the registry. The registry pointer
 * follows the newest version (it only ever moves forward).
 */
export async function syncTableMetadata(
  deps: MetadataOrchestratorDeps,
  tableId: number,
): Promise<SyncOutcome> {
  const clock = deps.clock ?? systemCommitClock;
  const row = await deps.registry.tableById(tableId);
  if (!row) return { status: 'skipped', reason: 'unknown table' };
  if (row.state === 'dropped') return { status: 'skipped', reason: 'dropped' };
  const metadataRow = await deps.registry.tableMetadata(tableId);
  if (!metadataRow) {
    throw new AsthaError('invalid_registry', `table ${tableId} has no table_metadata row`, {
      retryable: true,
    });
  }
  const definition = definitionFromRegistry(metadataRow);
  const table: TableRef = { keyPrefix: row.key_prefix, location: row.location };
  const ensured = await ensureTable(deps.store, table, definition, {
    knownVersion: row.metadata_version,
    clock,
  });
  const result = await commitTable(
    deps.store,
    table,
    (base) => {
      const change = definitionUpdates(base.metadata, definition);
      return change.updates.length === 0 ? 'noop' : change;
    },
    { knownVersion: ensured.version, clock, ...(deps.limits ? { limits: deps.limits } : {}) },
  );
  if (result.version !== row.metadata_version) {
    await recordTablePointer(deps.registry.client, tablePointer(tableId, result), clock.now());
  }
  const status = result.committed ? 'updated' : ensured.created ? 'created' : 'in sync';
  return { status, version: result.version, metadataLocation: result.metadataLocation };
}

export function createMetadataOrchestrator(deps: MetadataOrchestratorDeps): ComponentLogic {
  const look = async (tableId: number, why: string): Promise<void> => {
    const outcome = await syncTableMetadata(deps, tableId);
    if (outcome.status === 'created' || outcome.status === 'updated') {
      deps.logger.info({ tableId, why, ...outcome }, `iceberg table ${outcome.status}`);
    }
  };

  return {
    name: 'metadata_orchestrator',
    subscribedTables: SUBSCRIPTIONS.metadata_orchestrator,

    async onEvent(event) {
      const tableId = tableIdOf(event);
      if (tableId === undefined || !wakesOrchestrator(event)) return;
      if (event.table === 'tables' && event.after?.state === 'dropped') {
        // Nothing to undo: readers keep the last committed version, the data is never touched.
        deps.logger.info({ tableId }, 'table dropped: metadata and data kept, no further commits');
        return;
      }
      await look(tableId, `${event.table} ${event.operation}`);
    },

    async onRefresh() {
      const failed: number[] = [];
      for (const tableId of await activeTables(deps.registry)) {
        try {
          await look(tableId, 'refresh');
        } catch (error) {
          // One broken table must not keep the others from being repaired.
          failed.push(tableId);
          deps.logger.warn({ tableId, err: errorMessage(error) }, 'refresh could not sync table');
        }
      }
      if (failed.length > 0) {
        throw new AsthaError('refresh_failed', `refresh could not sync ${failed.length} table(s)`, {
          retryable: true,
          details: { tableIds: failed },
        });
      }
    },

    onHealth: () => orchestratorHealth(deps.registry),
  };
}

async function activeTables(registry: Registry): Promise<number[]> {
  const result = await registry.client.execute("SELECT id FROM tables WHERE state = 'active' ORDER BY id");
  return result.rows.map((row) => Number(row.id));
}

/** Tables without any Iceberg metadata yet are the orchestrator's backlog. */
async function orchestratorHealth(registry: Registry): Promise<HealthReport> {
  try {
    const result = await registry.client.execute(
      "SELECT count(*) AS n FROM tables WHERE state = 'active' AND metadata_location IS NULL",
    );
    return { healthy: true, detail: `${Number(result.rows[0]?.n ?? 0)} active table(s) without metadata` };
  } catch (error) {
    return { healthy: false, detail: `registry unreachable: ${errorMessage(error)}` };
  }
}
