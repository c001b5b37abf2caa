/**
 * Brings one astha table's Glue table in step with the registry. One loop: read the registry
 * and Glue, decide (planGlueSync), write; a lost race (a stale VersionId, a table created or
 * deleted meanwhile) reads both again and decides again. Throttling waits with backoff.
 */
import { backoffDelay, type Clock, systemClock } from '../astha/backoff.js';
import { parseJson } from '../iceberg/spec/exactJson.js';
import { schemaFromJson } from '../iceberg/spec/schemaJson.js';
import type { Registry } from '../registry/registry.js';
import { syncSource, type SyncSource } from './catalogSyncReads.js';
import { type GlueCatalog, GlueError, isGlueError } from './glueCatalog.js';
import { type DesiredTable, glueDatabaseName } from './glueTableInput.js';
import { type GlueAction, planGlueSync } from './planGlueSync.js';

export interface GlueSyncDeps {
  registry: Registry;
  glue: GlueCatalog;
  /** Glue database = prefix + namespace. */
  databasePrefix: string;
  clock?: Clock;
  /** Throttled calls: attempts and backoff (default 6 attempts, 100 ms doubling to 3 s). */
  throttle?: { attempts: number; baseMs: number; maxMs: number };
}

export type GlueSyncResult =
  | GlueAction['kind']
  /** No such table in the registry, a dropped table (kept in Glue as it was), or no commit yet. */
  | 'missing'
  | 'dropped'
  | 'uncommitted';

export interface GlueSyncOutcome {
  tableId: number;
  result: GlueSyncResult;
  database?: string;
  name?: string;
  metadataLocation?: string;
  /** Glue requests made. */
  requests: number;
}

/** Reads and writes before a table that keeps changing under us is left to the next event. */
const MAX_RACES = 5;
const DATABASE_DESCRIPTION = 'astha namespace: Iceberg tables kept in step by astha';

export async function syncTable(tableId: number, deps: GlueSyncDeps): Promise<GlueSyncOutcome> {
  const counter = { requests: 0 };
  for (let race = 1; ; race++) {
    const source = await syncSource(deps.registry.client, tableId);
    const desired = desiredTable(source, deps.databasePrefix);
    if (typeof desired === 'string') return { tableId, result: desired, requests: counter.requests };
    const existing = await glueCall(deps, counter, () => deps.glue.getTable(desired.database, desired.name));
    const action = planGlueSync(desired, existing);
    try {
      await apply(action, desired, deps, counter);
    } catch (error) {
      if (race < MAX_RACES && lostRace(error)) continue;
      throw error;
    }
    return {
      tableId,
      result: action.kind,
      database: desired.database,
      name: desired.name,
      metadataLocation: desired.metadataLocation,
      requests: counter.requests,
    };
  }
}

function desiredTable(source: SyncSource | undefined, prefix: string): DesiredTable | GlueSyncResult {
  if (source === undefined) return 'missing';
  if (source.state === 'dropped') return 'dropped';
  if (source.metadataLocation === null || source.metadataVersion === null || source.schemaJson === null) {
    return 'uncommitted';
  }
  return {
    database: glueDatabaseName(prefix, source.namespace),
    name: source.name,
    location: source.location,
    metadataLocation: source.metadataLocation,
    metadataVersion: source.metadataVersion,
    schema: schemaFromJson(parseJson(source.schemaJson)),
  };
}

async function apply(
  action: GlueAction,
  desired: DesiredTable,
  deps: GlueSyncDeps,
  counter: { requests: number },
): Promise<void> {
  const { glue } = deps;
  if (action.kind === 'update') {
    await glueCall(deps, counter, () => glue.updateTable(desired.database, action.input, action.versionId));
  } else if (action.kind === 'create') {
    try {
      await glueCall(deps, counter, () => glue.createTable(desired.database, action.input));
    } catch (error) {
      if (!isGlueError(error, 'not_found')) throw error;
      // The namespace's first table in Glue: its database does not exist yet.
      await glueCall(deps, counter, () => glue.createDatabase(desired.database, DATABASE_DESCRIPTION)).catch(
        (cause: unknown) => {
          if (isGlueError(cause, 'already_exists')) return;
          if (!isGlueError(cause, 'access_denied')) throw cause;
          throw new GlueError(
            'access_denied',
            `Glue database ${desired.database} does not exist and catalog_sync may not create it: create it, or allow glue:CreateDatabase (${cause.message})`,
            { cause, details: { database: desired.database } },
          );
        },
      );
      await glueCall(deps, counter, () => glue.createTable(desired.database, action.input));
    }
  }
}

/** Someone else changed the table between our read and our write: read again, decide again. */
function lostRace(error: unknown): boolean {
  return (
    isGlueError(error, 'conflict') || isGlueError(error, 'already_exists') || isGlueError(error, 'not_found')
  );
}

/** One Glue request, counted, waiting with backoff while Glue throttles. */
async function glueCall<T>(
  deps: GlueSyncDeps,
  counter: { requests: number },
  run: () => Promise<T>,
): Promise<T> {
  const clock = deps.clock ?? systemClock;
  const { attempts, baseMs, maxMs } = deps.throttle ?? { attempts: 6, baseMs: 100, maxMs: 3_000 };
  for (let attempt = 0; ; attempt++) {
    counter.requests++;
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof GlueError) || error.code !== 'throttled' || attempt + 1 >= attempts) throw error;
      await clock.sleep(backoffDelay(attempt, { baseMs, maxMs }));
    }
  }
}
