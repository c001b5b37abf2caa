/**
 * The iceberg_updater component: the queue-facing shell around `commitPending`
 * (lib/iceberg/commitPending.ts). It is level-triggered: an event only decides whether the
 * table is worth a look; the look commits whatever the registry says is pending. So the
 * component filters out the changes its own commits cause (files becoming `committing` and
 * `committed`, table pointer moves), which would otherwise wake it again for nothing.
 */
import { commitRemovals } from '../iceberg/commitRemovals.js';
import { tableIdOf } from '../astha/events.js';
import { wakesUpdater } from '../astha/wakes.js';
import { SUBSCRIPTIONS } from '../astha/subscriptions.js';
import { AsthaError, errorMessage } from '../errors.js';
import type { CommitClock, CommitLimits } from '../iceberg/commit/commitBackoff.js';
import type { ClaimOwner } from '../iceberg/commit/claimOwner.js';
import { commitPending, onRefresh as commitAllPending } from '../iceberg/commitPending.js';
import type { Logger } from '../log.js';
import type { Registry } from '../registry/registry.js';
import type { ObjectStore } from '../store/objectStore.js';
import type { ComponentLogic, HealthReport } from './component.js';
import { LookCoalescer } from './lookCoalescer.js';

export interface IcebergUpdaterDeps {
  registry: Registry;
  /** The warehouse store, rooted where registration roots it. */
  store: ObjectStore;
  logger: Logger;
  clock?: CommitClock;
  limits?: Partial<CommitLimits>;
  /** Recorded with its claims; default this local process. */
  claimOwner?: ClaimOwner;
  /**
   * Commits one look may make when more files are pending than one snapshot takes
   * (`maxFilesPerCommit`); the rest wait for the next event or refresh. Default 8.
   */
  maxCommitsPerLook?: number;
  /** The table's commit policy (lib/snapshotter/commitPolicy.ts `commitPolicyGate`); absent = commit at once. */
  commitGate?: (tableId: number) => Promise<boolean>;
}

export function createIcebergUpdater(deps: IcebergUpdaterDeps): ComponentLogic {
  const updaterDeps = {
    registry: deps.registry,
    store: deps.store,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.limits ? { limits: deps.limits } : {}),
    ...(deps.claimOwner ? { claimOwner: deps.claimOwner } : {}),
  };
  const maxCommits = deps.maxCommitsPerLook ?? 8;
  const committedHere = new RecentIds(COMMITTED_IDS_REMEMBERED);

  const looks = new LookCoalescer(deps.registry.client);

  /**
   * Commits until nothing is pending (or the bound): a big backlog needs several snapshots.
   * True when it left nothing pending (not held back by the commit policy, nor by the bound).
   */
  const look = async (tableId: number): Promise<boolean> => {
    const removal = await commitRemovals(tableId, updaterDeps);
    if (removal !== 'nothing removed') {
      deps.logger.info({ tableId, ...removal }, 'removed files taken out of the table');
    }
    if (deps.commitGate && !(await deps.commitGate(tableId))) return false;
    for (let round = 0; round < maxCommits; round++) {
      const started = Date.now();
      const result = await commitPending(tableId, updaterDeps);
      if (result === 'nothing pending') return true;
      for (const id of result.fileIds) committedHere.add(id);
      deps.logger.info(
        {
          tableId,
          snapshotId: result.snapshotId,
          version: result.version,
          files: result.filesAdded,
          attempts: result.attempts,
          ms: Date.now() - started,
          recovered: result.recovery.finished.length,
          released: result.recovery.released.length,
        },
        'pending files committed',
      );
      if (!result.pendingLeft) return true;
    }
    return false;
  };

  return {
    name: 'iceberg_updater',
    subscribedTables: SUBSCRIPTIONS.iceberg_updater,

    async onEvent(event) {
      const tableId = tableIdOf(event);
      if (tableId === undefined || !wakesUpdater(event)) return;
      // A look that began after this change and left nothing pending has handled it.
      if (looks.seen(tableId, event.id)) return;
      // A burst of inserts for one table is committed by the first look (coalescing); the rest
      // find their file committed, here without asking the registry (one round trip per file).
      if (event.table === 'table_files' && event.after?.iceberg_state === 'pending') {
        if (committedHere.has(event.after.id)) return;
        if (!(await stillPending(deps.registry, event.after.id))) return;
      }
      await looks.look(tableId, () => look(tableId));
    },

    async onRefresh() {
      for (const tableId of await tablesWithRemovals(deps.registry))
        await commitRemovals(tableId, updaterDeps);
      const outcomes = await commitAllPending(updaterDeps);
      const failed = outcomes.filter((o) => o.error !== undefined);
      for (const outcome of failed) {
        deps.logger.warn(
          { tableId: outcome.tableId, err: errorMessage(outcome.error) },
          'refresh commit failed',
        );
      }
      deps.logger.info({ tables: outcomes.length, failed: failed.length }, 'iceberg_updater refreshed');
      if (failed.length > 0) {
        // Retrying the refresh is safe (level-triggered) and keeps the failure visible.
        throw new AsthaError('refresh_failed', `refresh could not commit ${failed.length} table(s)`, {
          retryable: true,
          details: { tableIds: failed.map((o) => o.tableId) },
        });
      }
    },

    onHealth: () => commitHealth(deps.registry),
  };
}

/** File ids this process committed, kept for the events of a burst that are still queued. */
const COMMITTED_IDS_REMEMBERED = 100_000;

/** A set that forgets its oldest members past `capacity` (a committed file never is pending again). */
class RecentIds {
  private readonly ids = new Set<number>();
  constructor(private readonly capacity: number) {}
  add(id: number): void {
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }
  has(id: number): boolean {
    return this.ids.has(id);
  }
}

async function tablesWithRemovals(registry: Registry): Promise<number[]> {
  const result = await registry.client.execute(
    `SELECT DISTINCT table_id FROM table_files
      WHERE iceberg_state = 'removed' AND snapshot_id IS NOT NULL AND target_snapshot_id IS snapshot_id`,
  );
  return result.rows.map((row) => Number(row.table_id));
}

async function stillPending(registry: Registry, fileId: number): Promise<boolean> {
  const result = await registry.client.execute({
    sql: 'SELECT iceberg_state FROM table_files WHERE id = ?',
    args: [fileId],
  });
  return result.rows[0]?.iceberg_state === 'pending';
}

/** Healthy while the registry answers; the backlog is reported, the breaker judges its age. */
async function commitHealth(registry: Registry): Promise<HealthReport> {
  try {
    const result = await registry.client.execute(
      `SELECT
         (SELECT count(*) FROM table_files WHERE iceberg_state = 'pending') AS pending,
         (SELECT count(*) FROM table_files WHERE iceberg_state = 'committing') AS committing,
         (SELECT min(registered_at) FROM table_files WHERE iceberg_state = 'pending') AS oldest`,
    );
    const row = result.rows[0];
    const oldest = row?.oldest == null ? 'none' : String(row.oldest);
    return {
      healthy: true,
      detail: `${Number(row?.pending ?? 0)} pending, ${Number(row?.committing ?? 0)} committing, oldest pending ${oldest}`,
    };
  } catch (error) {
    return { healthy: false, detail: `registry unreachable: ${errorMessage(error)}` };
  }
}
