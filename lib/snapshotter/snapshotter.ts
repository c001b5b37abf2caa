/**
 * The snapshotter component (DESIGN.md step 5): when snapshots are cut and how long they live.
 *
 * - Commit policy: the iceberg_updater holds back files a table's policy says to batch
 *   (`commitPolicyGate`); the snapshotter commits them once they are due. Time-based triggers
 *   need a clock, so every `health` message (and a scheduled invocation of its function) is a
 *   tick: it commits every table whose policy is due, then runs maintenance.
 * - Maintenance, at most once per `maintenanceIntervalMs` per table: expire snapshots, record
 *   that in the registry, then delete what no remaining snapshot or metadata file reaches.
 *   A dry run commits nothing: it applies the expiration in memory and lists what cleanup
 *   would delete after it, so it reports what a real run at the same time would do.
 *
 * Level-triggered like the others: events only say which table to look at; the registry and
 * the table metadata are the truth, so a lost tick is made up by the next one.
 */
import type { ChangeEvent } from '../astha/events.js';
import { tableIdOf } from '../astha/events.js';
import { wakesSnapshotter } from '../astha/wakes.js';
import { SUBSCRIPTIONS } from '../astha/subscriptions.js';
import type { ComponentLogic, HealthReport } from '../components/component.js';
import { errorMessage } from '../errors.js';
import type { CommitClock, CommitLimits } from '../iceberg/commit/commitBackoff.js';
import { systemCommitClock } from '../iceberg/commit/commitBackoff.js';
import type { ClaimOwner } from '../iceberg/commit/claimOwner.js';
import { loadTable } from '../iceberg/commit/loadTable.js';
import { tablePointer } from '../iceberg/commit/registryRecords.js';
import { commitPending } from '../iceberg/commitPending.js';
import type { TableMetadata } from '../iceberg/spec/tableMetadata.js';
import type { TableRef } from '../iceberg/tableLocation.js';
import type { Logger } from '../log.js';
import { openClaims, recordTablePointer } from '../registry/commitState.js';
import type { Registry } from '../registry/registry.js';
import {
  clearAnsweredRequests,
  isRegisteredPath,
  markPurged,
  pendingStats,
  pendingStatsOfAll,
  recordExpiredSnapshots,
  recordMaintenance,
  registeredSnapshots,
  replacedDataFiles,
  type TablePendingStats,
  tablesDueForMaintenance,
} from '../registry/snapshotterState.js';
import type { ObjectStore } from '../store/objectStore.js';
import {
  type CleanupResult,
  cleanupOrphans,
  DEFAULT_ORPHAN_AGE_MS,
  deletesReplacedUserFiles,
} from './cleanupOrphans.js';
import { isImmediate, parseProperties, policyFromProperties, shouldCommit } from './commitPolicy.js';
import { type ExpireResult, expireSnapshots, previewExpiration } from './expireSnapshots.js';
import { readTableProperties } from '../registry/tableProperties.js';

export interface SnapshotterDeps {
  registry: Registry;
  /** The warehouse store, rooted where registration roots it. */
  store: ObjectStore;
  logger: Logger;
  clock?: CommitClock;
  limits?: Partial<CommitLimits>;
  /** Recorded with the claims of its policy commits; default this local process. */
  claimOwner?: ClaimOwner;
  /** Least time between two maintenance runs of one table (default 1 hour). */
  maintenanceIntervalMs?: number;
  /** Cleanup's safety age (default 3 days). */
  orphanAgeMs?: number;
  /** Tables maintained per tick at most, so a tick stays well inside a Lambda timeout (default 10). */
  maxMaintainedPerTick?: number;
  /** Commits one due table may take in one tick when more is pending than one snapshot holds (default 8). */
  maxCommitsPerTable?: number;
}

export interface MaintenanceReport {
  tableId: number;
  /**
   * Registry rows of snapshots moved to `expired_snapshots` (also those of an earlier, interrupted
   * expiration); a dry run: the number of snapshots expiration would remove.
   */
  expired: number;
  version: number | undefined;
  cleanup: CleanupResult | undefined;
  /** Ids (decimal) of the snapshots this run's expiration removed, or with `dryRun` would remove. */
  expiredSnapshots: string[];
  /** Refs this run's expiration removed (older than their max ref age), or would remove. */
  removedRefs: string[];
  dryRun: boolean;
}

export interface TickReport {
  committed: { tableId: number; snapshots: number; reason: string }[];
  maintained: MaintenanceReport[];
  failed: { tableId: number; error: string }[];
}

export interface Snapshotter extends ComponentLogic {
  /** Commits due tables and maintains due ones: what a health message or a schedule runs. */
  tick(): Promise<TickReport>;
  /** Expiration then cleanup of one table now, whatever its schedule (the CLI, tests). */
  maintain(tableId: number, options?: { dryRun?: boolean }): Promise<MaintenanceReport>;
}

export function createSnapshotter(deps: SnapshotterDeps): Snapshotter {
  const clock = deps.clock ?? systemCommitClock;
  const updaterDeps = {
    registry: deps.registry,
    store: deps.store,
    clock,
    ...(deps.limits ? { limits: deps.limits } : {}),
    ...(deps.claimOwner ? { claimOwner: deps.claimOwner } : {}),
  };
  const intervalMs = deps.maintenanceIntervalMs ?? 60 * 60 * 1000;
  const immediate = new ImmediateTables();
  const orphanAgeMs = deps.orphanAgeMs ?? DEFAULT_ORPHAN_AGE_MS;

  /** Commits the table while its policy says so; returns the number of snapshots made. */
  const commitWhileDue = async (stats: TablePendingStats): Promise<{ snapshots: number; reason: string }> => {
    const policy = policyFromProperties(parseProperties(stats.propertiesJson));
    // Immediate tables are the iceberg_updater's: it commits them on the event itself.
    if (isImmediate(policy) && stats.requestedMs === undefined) return { snapshots: 0, reason: 'immediate' };
    const decision = shouldCommit(policy, stats, clock.now());
    if (!decision.commit) return { snapshots: 0, reason: decision.reason };
    let snapshots = 0;
    for (let round = 0; round < (deps.maxCommitsPerTable ?? 8); round++) {
      const result = await commitPending(stats.tableId, updaterDeps);
      if (result === 'nothing pending') break;
      snapshots++;
    }
    return { snapshots, reason: decision.reason };
  };

  /** Commits the expiration, or with `dryRun` applies it in memory only. */
  const expire = async (
    tableId: number,
    table: TableRef,
    knownVersion: number,
    nowMs: number,
    dryRun: boolean,
  ): Promise<{ expiration: ExpireResult; expired: number } | undefined> => {
    // A claimed snapshot may be in the table before the registry knows it: recovery must find it.
    const keep = new Set(
      (await openClaims(deps.registry.client, tableId)).map((claim) => BigInt(claim.targetSnapshotId)),
    );
    if (dryRun) {
      const base = await loadTable(deps.store, table, { knownVersion });
      if (!base) return undefined;
      const expiration = previewExpiration(
        table,
        base,
        nowMs,
        await readTableProperties(deps.registry.client, tableId),
        keep,
      );
      return { expiration, expired: expiration.expired.length };
    }
    const expiration = await expireSnapshots(deps.store, table, {
      nowMs,
      properties: await readTableProperties(deps.registry.client, tableId),
      keep,
      knownVersion,
      clock,
      ...limitsOf(deps),
    });
    if (expiration.committed) {
      // The pointer first: cleanup protects versions from it on.
      await recordTablePointer(deps.registry.client, tablePointer(tableId, expiration.table), clock.now());
    }
    const expired = await forgetExpired(deps.registry, tableId, expiration.table.metadata, clock.now());
    return { expiration, expired };
  };

  const maintain = async (
    tableId: number,
    options: { dryRun?: boolean } = {},
  ): Promise<MaintenanceReport> => {
    const dryRun = options.dryRun ?? false;
    const nothing: MaintenanceReport = {
      tableId,
      expired: 0,
      version: undefined,
      cleanup: undefined,
      expiredSnapshots: [],
      removedRefs: [],
      dryRun,
    };
    const row = await deps.registry.tableById(tableId);
    if (row?.state !== 'active' || row.metadata_version === null) return nothing;
    const table = { keyPrefix: row.key_prefix, location: row.location };
    const nowMs = clock.now();
    // Versions from the registry pointer on are never deleted (loaders start probing there).
    const knownVersion: number = row.metadata_version;
    const done = await expire(tableId, table, knownVersion, nowMs, dryRun);
    if (!done) return nothing;
    const { expiration, expired } = done;
    const client = deps.registry.client;
    const replaced = await replacedDataFiles(client, tableId, nowMs - orphanAgeMs);
    const properties = await deps.registry.tableMetadata(tableId);
    const cleanup = await cleanupOrphans(deps.store, table, {
      olderThanMs: orphanAgeMs,
      nowMs,
      knownVersion,
      replacedDataFiles: replaced.map((f) => ({
        key: f.path,
        etag: f.etag,
        fileId: f.fileId,
        asthaWritten: f.asthaWritten,
      })),
      deleteReplacedUserFiles: deletesReplacedUserFiles(parseProperties(properties?.properties_json ?? '{}')),
      isRegistered: (key) => isRegisteredPath(client, tableId, key),
      // The dry run walks the version the expiration would write; the real run loads the
      // newest, which is that version unless someone committed since.
      ...(dryRun
        ? { dryRun: true, base: expiration.table }
        : {
            markPurged: async (ids: number[]) => {
              await markPurged(client, tableId, ids, clock.now());
            },
          }),
    });
    if (!dryRun) await recordMaintenance(client, tableId, clock.now());
    return {
      tableId,
      expired,
      version: cleanup.version,
      cleanup,
      expiredSnapshots: expiration.expired.map((s) => s.snapshotId.toString()),
      removedRefs: expiration.removedRefs,
      dryRun,
    };
  };

  const tick = async (): Promise<TickReport> => {
    const report: TickReport = { committed: [], maintained: [], failed: [] };
    for (const stats of await pendingStatsOfAll(deps.registry.client)) {
      try {
        const done = await commitWhileDue(stats);
        if (done.snapshots > 0) report.committed.push({ tableId: stats.tableId, ...done });
      } catch (error) {
        // One table's failure must not hold back the others; the report carries it.
        report.failed.push({ tableId: stats.tableId, error: errorMessage(error) });
      }
    }
    await clearAnsweredRequests(deps.registry.client);
    const due = await tablesDueForMaintenance(deps.registry.client, clock.now() - intervalMs);
    for (const tableId of due.slice(0, deps.maxMaintainedPerTick ?? 10)) {
      try {
        report.maintained.push(await maintain(tableId));
      } catch (error) {
        report.failed.push({ tableId, error: errorMessage(error) });
      }
    }
    return report;
  };

  const logTick = (report: TickReport): void => {
    const expired = report.maintained.reduce((n, m) => n + m.expired, 0);
    const deleted = report.maintained.reduce((n, m) => n + (m.cleanup?.orphans.length ?? 0), 0);
    deps.logger.info(
      {
        committed: report.committed.length,
        maintained: report.maintained.length,
        expired,
        deleted,
        failed: report.failed,
      },
      'snapshotter tick',
    );
  };

  return {
    name: 'snapshotter',
    subscribedTables: SUBSCRIPTIONS.snapshotter,

    async onEvent(event: ChangeEvent) {
      const tableId = tableIdOf(event);
      if (tableId === undefined || !wakesSnapshotter(event)) return;
      // A definition change may set a policy or carry a request: look again.
      if (event.table === 'table_metadata') immediate.delete(tableId);
      else if (immediate.fresh(tableId, clock.now())) return;
      // A new file or a request may make a batching table due (count, bytes, request).
      const stats = await pendingStats(deps.registry.client, tableId);
      const policy = policyFromProperties(parseProperties(stats.propertiesJson));
      if (isImmediate(policy) && stats.requestedMs === undefined) immediate.set(tableId, clock.now());
      const done = await commitWhileDue(stats);
      if (done.snapshots > 0) deps.logger.info({ tableId, ...done }, 'pending files committed by policy');
    },

    async onRefresh() {
      logTick(await tick());
    },

    async onHealth(): Promise<HealthReport> {
      try {
        const report = await tick();
        logTick(report);
        return {
          healthy: true,
          detail: `${report.committed.length} committed, ${report.maintained.length} maintained, ${report.failed.length} failed`,
        };
      } catch (error) {
        return { healthy: false, detail: `tick failed: ${errorMessage(error)}` };
      }
    },

    tick,
    maintain,
  };
}

/**
 * Moves the registry rows of snapshots the table no longer holds to `expired_snapshots`: those
 * this expiration removed, and any an earlier one removed before crashing short of the registry.
 * Only rows at or below the table's last sequence number: a newer row is a concurrent commit
 * this version has not seen, not an expired snapshot.
 */
async function forgetExpired(
  registry: Registry,
  tableId: number,
  metadata: TableMetadata,
  nowMs: number,
): Promise<number> {
  const held = new Set(metadata.snapshots.map((s) => s.snapshotId.toString()));
  const gone = (await registeredSnapshots(registry.client, tableId))
    .filter((row) => row.sequenceNumber <= metadata.lastSequenceNumber && !held.has(row.snapshotId))
    .map((row) => row.snapshotId);
  return recordExpiredSnapshots(registry.client, tableId, gone, nowMs);
}

/**
 * Tables last seen without a commit policy: the iceberg_updater commits their files, so their
 * file events need no registry query here (one per landed file otherwise). Forgotten on the
 * table's next definition change (a policy set, a request), which this component is sent, and
 * after `IMMEDIATE_MEMORY_MS`, for a policy set through a process that did not see it; the
 * tick reads every table's policy anyway.
 */
class ImmediateTables {
  private readonly seenAt = new Map<number, number>();
  set(tableId: number, nowMs: number): void {
    this.seenAt.set(tableId, nowMs);
  }
  delete(tableId: number): void {
    this.seenAt.delete(tableId);
  }
  fresh(tableId: number, nowMs: number): boolean {
    const at = this.seenAt.get(tableId);
    return at !== undefined && nowMs - at < IMMEDIATE_MEMORY_MS;
  }
}
const IMMEDIATE_MEMORY_MS = 30_000;

function limitsOf(deps: SnapshotterDeps): { limits?: Partial<CommitLimits> } {
  return deps.limits ? { limits: deps.limits } : {};
}
