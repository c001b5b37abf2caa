/**
 * What the iceberg_updater component (lib/components/icebergUpdater.ts) does with a look at a
 * table (DESIGN.md, "Components"): level-triggered. An event for a table means "look at this
 * table": recover interrupted commits, then commit ALL of the table's pending files (rejected
 * ones never are) in one append snapshot. Events are only triggers and the registry is the
 * truth, so dropped, repeated or reordered events are safe.
 */
import { AsthaError } from '../errors.js';
import {
  claimedFiles,
  claimAndReadPendingFiles,
  type ClaimedFile,
  openClaims,
  recordCommitAndRead,
  recordTablePointer,
  tablesWithWork,
} from '../registry/commitState.js';
import { currentTurn, waitOutTurn } from '../registry/commitTurns.js';
import { recordedSnapshotIds } from '../registry/recordedSnapshots.js';
import type { Registry } from '../registry/registry.js';
import {
  anyPendingFrom,
  anyPendingStatement,
  tableMetadataFrom,
  tableMetadataStatement,
} from '../registry/registryReads.js';
import {
  markRemovedFromTable,
  type RemovedInTable,
  replacedBy,
  replacedByFrom,
  replacedByStatement,
} from '../registry/removalState.js';
import type { TableMetadataRow, TableRow } from '../registry/rows.js';
import type { ObjectStore } from '../store/objectStore.js';
import { adoptForeignCommits } from './adoptForeignCommits.js';
import { appendFiles } from './commit/appendFiles.js';
import {
  type CommitClock,
  type CommitLimits,
  DEFAULT_COMMIT_LIMITS,
  systemCommitClock,
} from './commit/commitBackoff.js';
import {
  type ChangeBuilder,
  type CommitResult,
  commitTable,
  writeVersionHint,
} from './commit/commitTable.js';
import { definitionFromRegistry, type EnsuredTable, ensureTable } from './commit/ensureTable.js';
import { type LoadOptions, loadTable } from './commit/loadTable.js';
import { type ClaimOwner, claimExpiry, localProcessOwner } from './commit/claimOwner.js';
import { type RecoveryReport, recoverClaims, settleClaim } from './commit/recovery.js';
import { snapshotRecord, tablePointer } from './commit/registryRecords.js';
import { snapshotsOverCap } from '../snapshotter/expireSnapshots.js';
import { IcebergError } from './icebergError.js';
import { newSnapshotId } from './spec/snapshot.js';
import type { TableMetadata } from './spec/tableMetadata.js';
import type { TableRef } from './tableLocation.js';

export interface UpdaterDeps {
  registry: Registry;
  /** The warehouse store (rooted at the warehouse prefix, as registration uses it). */
  store: ObjectStore;
  clock?: CommitClock;
  limits?: Partial<CommitLimits>;
  /** Who this committer is, recorded with its claims (default: this local process). */
  claimOwner?: ClaimOwner;
}

export interface CommittedPending {
  /** The new snapshot's id (a 64-bit long, as a decimal string). */
  snapshotId: string;
  /** The metadata version that holds it. */
  version: number;
  metadataLocation: string;
  filesAdded: number;
  /** Registry ids of the files the snapshot added. */
  fileIds: number[];
  /** Metadata PUT attempts it took (more than 1 = it lost races or met transient errors). */
  attempts: number;
  /** Whether files were pending when the commit was recorded (they arrived meanwhile). */
  pendingLeft: boolean;
  recovery: RecoveryReport;
}

export type CommitPendingResult = CommittedPending | 'nothing pending';

/**
 * Commits every pending file of table `tableId` in one snapshot: an `append`, or an `overwrite`
 * when some of them are new versions of keys whose old versions are still in the table.
 */
export async function commitPending(tableId: number, deps: UpdaterDeps): Promise<CommitPendingResult> {
  try {
    return await commitPendingOnce(tableId, deps, { trustPointer: true, yieldTurn: true });
  } catch (error) {
    if (!(error instanceof IcebergError && error.details.reason === 'already_in_table')) throw error;
    // Another engine's commit, unseen by the trusted pointer, added some of the files: the
    // claim went back; a look that probes adopts that commit and appends the rest.
    return commitPendingOnce(tableId, deps, { trustPointer: false, yieldTurn: false });
  }
}

/** The longest an append waits for another committer's turn (lib/registry/commitTurns.ts). */
const MAX_TURN_WAIT_MS = 3_000;

async function commitPendingOnce(
  tableId: number,
  deps: UpdaterDeps,
  how: { trustPointer: boolean; yieldTurn: boolean },
): Promise<CommitPendingResult> {
  const { registry, store } = deps;
  const clock = deps.clock ?? systemCommitClock;
  const limits: CommitLimits = { ...DEFAULT_COMMIT_LIMITS, ...deps.limits };
  const [row, metadataRow, claims, turn] = await Promise.all([
    registry.tableById(tableId),
    registry.tableMetadata(tableId),
    openClaims(registry.client, tableId),
    how.yieldTurn ? currentTurn(registry.client, tableId, clock.now()) : undefined,
  ]);
  if (row?.state !== 'active') return 'nothing pending';
  if (turn) {
    // The compactor's replace has the table for a moment: wait, then start from its commit
    // (probing: its registry record may come after the turn ends).
    await waitOutTurn(registry.client, tableId, turn, clock, MAX_TURN_WAIT_MS);
    return commitPendingOnce(tableId, deps, { trustPointer: false, yieldTurn: false });
  }
  const table: TableRef = { keyPrefix: row.key_prefix, location: row.location };
  // With no claim to judge against the table, the registry's pointer to a version this process
  // holds is taken as the newest (no probe): a newer one is found by the metadata PUT, a lost
  // race. An open claim may have reached a version nobody recorded, so recovery probes.
  const trustKnown =
    how.trustPointer && claims.length === 0 ? { currentSnapshotId: row.current_snapshot_id } : undefined;
  const ensured = await ensureRegisteredTable(deps, row, metadataRow, table, clock, trustKnown);
  const context = {
    registry,
    tableId,
    loaded: ensured,
    nowMs: clock.now(),
    staleClaimMs: limits.staleClaimMs,
  };
  const recovery = await recoverClaims(context, claims);
  // Other engines' commits first: a file one of them added must not be appended again.
  await adoptForeignCommits(registry, store, tableId, ensured);

  const snapshotId = newSnapshotId();
  const target = snapshotId.toString();
  const claimedAtMs = clock.now();
  const owner = deps.claimOwner ?? localProcessOwner();
  const expiresAtMs = claimExpiry(owner, claimedAtMs);
  // The claimed files come back with the claim, and so do the definition (read again: the
  // files may have been registered against a schema evolved since the first read) and the
  // older versions the files replace.
  const claimed = await claimAndReadPendingFiles(
    registry.client,
    {
      tableId,
      targetSnapshotId: target,
      limit: limits.maxFilesPerCommit,
      nowMs: claimedAtMs,
      holder: { owner: owner.token, ...(expiresAtMs === undefined ? {} : { expiresAtMs }) },
    },
    [tableMetadataStatement(tableId), replacedByStatement(tableId, target)],
  );
  if (claimed.files.length === 0) return 'nothing pending';
  const [definitionRead, replacedRead] = claimed.reads;

  let appended: Awaited<ReturnType<typeof appendFiles>>;
  // What the last attempt took out: the overwritten versions its snapshot removed.
  let replaced: Awaited<ReturnType<typeof replacedBy>> | undefined;
  try {
    // Retries read the claimed files and what they replace again (a claim lost to recovery
    // drops them: fencing).
    let claimedNow: ClaimedFile[] | undefined = claimed.files;
    let replacedNow: RemovedInTable[] | undefined = replacedByFrom(replacedRead!);
    appended = await appendFiles(store, table, {
      snapshotId,
      files: async () => {
        const files = claimedNow ?? (await claimedFiles(registry.client, tableId, target));
        claimedNow = undefined;
        return files;
      },
      definition: definitionFromTableMetadata(tableMetadataFrom(definitionRead!), tableId),
      expire: (next) => retentionCeiling(registry, tableId, next, recovery),
      base: ensured,
      knownSnapshotIds: new Set(ensured.metadata.snapshots.map((s) => s.snapshotId)),
      replacing: async () => {
        replaced = replacedNow ?? (await replacedBy(registry.client, tableId, target));
        replacedNow = undefined;
        return replaced.map((f) => f.uri);
      },
      clock,
      limits,
      deadlineMs: claimedAtMs + limits.maxCommitMs,
      deferVersionHint: true,
    });
  } catch (error) {
    await settleOwnClaim(deps, table, tableId, { targetSnapshotId: target, claimedAtMs }, clock, error);
    throw error;
  }
  const { commit, snapshot, fileIds } = appended;
  // The snapshot was found already in the table (an earlier attempt's lost answer) without an
  // attempt reading them here: read before the files turn `committed`.
  replaced ??= await replacedBy(registry.client, tableId, target);
  const [recorded] = await Promise.all([
    recordCommitAndRead(
      registry.client,
      {
        pointer: tablePointer(tableId, commit),
        snapshot: snapshotRecord(snapshot, commit.metadataLocation),
        fileIds,
        nowMs: clock.now(),
      },
      [anyPendingStatement(tableId)],
    ),
    writeVersionHint(store, table, commit.version),
  ]);
  await markRemovedFromTable(
    registry.client,
    (replaced ?? []).map((f) => f.id),
    target,
  );
  // A lost race committed on top of whatever won it: another engine's commit among those is
  // adopted now (this snapshot recorded first, so it is not taken for a foreign one), as a
  // look that had seen it beforehand would have.
  if (commit.attempts > 1) await adoptForeignCommits(registry, store, tableId, commit);
  return {
    snapshotId: target,
    version: commit.version,
    metadataLocation: commit.metadataLocation,
    filesAdded: fileIds.length,
    fileIds,
    attempts: commit.attempts,
    pendingLeft: anyPendingFrom(recorded.reads[0]!),
    recovery,
  };
}

/**
 * The snapshots past `astha.history.max-snapshots` this append removes in its own commit. Only
 * snapshots the registry has recorded: one a committer or the compactor may still have to
 * record (an open claim, a replace whose registry update was lost) is found by recovery in the
 * table, so it stays.
 */
async function retentionCeiling(
  registry: Registry,
  tableId: number,
  next: TableMetadata,
  recovery: RecoveryReport,
): Promise<bigint[]> {
  const over = snapshotsOverCap(next, new Set(recovery.waiting.map((id) => BigInt(id))));
  if (over.length === 0) return [];
  const recorded = await recordedSnapshotIds(
    registry.client,
    tableId,
    over.map((id) => id.toString()),
  );
  return over.filter((id) => recorded.has(id.toString()));
}

/**
 * For the metadata orchestrator: creates the table's v1 from the registry definition if it
 * has none (and records the pointer); returns the table's newest metadata.
 */
export async function ensureIcebergTable(tableId: number, deps: UpdaterDeps): Promise<EnsuredTable> {
  const [row, metadataRow] = await Promise.all([
    deps.registry.tableById(tableId),
    deps.registry.tableMetadata(tableId),
  ]);
  if (!row) throw new IcebergError('invalid_update', `table ${tableId} is not registered`);
  const table: TableRef = { keyPrefix: row.key_prefix, location: row.location };
  return ensureRegisteredTable(deps, row, metadataRow, table, deps.clock ?? systemCommitClock);
}

/**
 * For the metadata orchestrator: a schema, property or spec change as `{updates, requirements}`
 * (rebuilt by `buildChange` on every fresh base after a lost race), committed with the
 * protocol of `commitTable`, then the registry pointer moved to the new version.
 */
export async function commitTableChange(
  tableId: number,
  buildChange: ChangeBuilder,
  deps: UpdaterDeps,
): Promise<CommitResult> {
  const clock = deps.clock ?? systemCommitClock;
  const row = await deps.registry.tableById(tableId);
  if (!row) throw new IcebergError('invalid_update', `table ${tableId} is not registered`);
  const table: TableRef = { keyPrefix: row.key_prefix, location: row.location };
  const result = await commitTable(deps.store, table, buildChange, {
    knownVersion: row.metadata_version,
    clock,
    limits: { ...DEFAULT_COMMIT_LIMITS, ...deps.limits },
  });
  if (result.committed)
    await recordTablePointer(deps.registry.client, tablePointer(tableId, result), clock.now());
  return result;
}

export interface RefreshOutcome {
  tableId: number;
  result?: CommitPendingResult;
  error?: unknown;
}

/** `commitPending` for every table with pending or committing files (after an outage). */
export async function onRefresh(deps: UpdaterDeps): Promise<RefreshOutcome[]> {
  const outcomes: RefreshOutcome[] = [];
  for (const tableId of await tablesWithWork(deps.registry.client)) {
    try {
      outcomes.push({ tableId, result: await commitPending(tableId, deps) });
    } catch (error) {
      // One table's failure must not keep the others from committing; the caller reports it.
      outcomes.push({ tableId, error });
    }
  }
  return outcomes;
}

function definitionFromTableMetadata(row: Awaited<ReturnType<Registry['tableMetadata']>>, tableId: number) {
  if (!row) throw new IcebergError('invalid_update', `table ${tableId} has no table_metadata row`);
  return definitionFromRegistry(row);
}

/** Loads the table, creating v1 from the registry definition if needed; keeps the pointer current. */
async function ensureRegisteredTable(
  deps: UpdaterDeps,
  row: TableRow,
  metadataRow: TableMetadataRow | undefined,
  table: TableRef,
  clock: CommitClock,
  trustKnown?: LoadOptions['trustKnown'],
): Promise<EnsuredTable> {
  const definition = definitionFromTableMetadata(metadataRow, row.id);
  const ensured = await ensureTable(deps.store, table, definition, {
    knownVersion: row.metadata_version,
    clock,
    ...(trustKnown ? { trustKnown } : {}),
  });
  if (ensured.version !== row.metadata_version) {
    await recordTablePointer(deps.registry.client, tablePointer(row.id, ensured), clock.now());
  }
  return ensured;
}

/**
 * After a failed append: finish it if the snapshot did land, else hand the files back at
 * once. Only for failures astha understands; anything else (a crash) is left to recovery.
 */
async function settleOwnClaim(
  deps: UpdaterDeps,
  table: TableRef,
  tableId: number,
  claim: { targetSnapshotId: string; claimedAtMs: number },
  clock: CommitClock,
  error: unknown,
): Promise<void> {
  if (!(error instanceof AsthaError)) return;
  try {
    const loaded = await loadTable(deps.store, table);
    const context = { registry: deps.registry, tableId, loaded, nowMs: clock.now(), staleClaimMs: 0 };
    await settleClaim(context, claim, true);
  } catch {
    // The store or registry is still failing: recovery settles the claim once it is stale.
  }
}
