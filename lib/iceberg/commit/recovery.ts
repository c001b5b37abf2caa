/**
 * Recovery of interrupted commits (DESIGN.md, "Commit protocol" step 5), run before every
 * commit of a table. A claim names the snapshot its files were about to go into:
 * - the snapshot is in the table → the metadata PUT succeeded and only the registry update
 *   was lost: record it now (pointer, snapshot row, files committed);
 * - it is not, and its committer is gone → the files go back to pending. Gone means: the owner
 *   recorded with the claim is a local process of this host that no longer runs, or the
 *   owner's lifetime bound (a Lambda's timeout, plus a margin) has passed, or the claim is older
 *   than `staleClaimMs` (a committer never PUTs after `maxCommitMs`, well under the stale age);
 * - otherwise a committer may still be working on it: leave it alone.
 */
import { type OpenClaim, openClaims, recordCommit, releaseClaims } from '../../registry/commitState.js';
import type { Registry } from '../../registry/registry.js';
import { ownerIsGone } from './claimOwner.js';
import { snapshotById } from '../spec/tableMetadata.js';
import type { LoadedTable } from './loadTable.js';
import { snapshotRecord, tablePointer } from './registryRecords.js';

export interface RecoveryReport {
  /** Snapshots found in the table whose registry update is now done. */
  finished: string[];
  /** Snapshots that never reached the table; their files are pending again. */
  released: string[];
  /** Claims too young to judge: a committer may still be at work. */
  waiting: string[];
}

export interface RecoveryContext {
  registry: Registry;
  tableId: number;
  /** The table's newest metadata (undefined when it has none yet). */
  loaded: LoadedTable | undefined;
  nowMs: number;
  staleClaimMs: number;
}

export async function recoverClaims(
  context: RecoveryContext,
  /** The table's open claims when the caller read them already. */
  claims?: readonly OpenClaim[],
): Promise<RecoveryReport> {
  const report: RecoveryReport = { finished: [], released: [], waiting: [] };
  claims ??= await openClaims(context.registry.client, context.tableId);
  for (const claim of claims) {
    const outcome = await settleClaim(context, claim, false);
    report[outcome].push(claim.targetSnapshotId);
  }
  return report;
}

/**
 * Finishes or releases one claim. `owned` = the caller is the committer of this claim and
 * knows no PUT of it is in flight, so it need not wait for the claim to become stale.
 */
export async function settleClaim(
  context: RecoveryContext,
  claim: Pick<OpenClaim, 'targetSnapshotId' | 'claimedAtMs' | 'owner' | 'expiresAtMs'>,
  owned: boolean,
): Promise<keyof RecoveryReport> {
  const { registry, tableId, loaded, nowMs } = context;
  const target = claim.targetSnapshotId;
  const snapshot = loaded ? snapshotById(loaded.metadata, BigInt(target)) : undefined;
  if (loaded && snapshot) {
    await recordCommit(registry.client, {
      pointer: tablePointer(tableId, loaded),
      snapshot: snapshotRecord(snapshot, loaded.metadataLocation),
      nowMs,
    });
    return 'finished';
  }
  if (owned || committerGone(claim, nowMs, context.staleClaimMs)) {
    await releaseClaims(registry.client, { tableId, targetSnapshotId: target, nowMs });
    return 'released';
  }
  return 'waiting';
}

function committerGone(
  claim: Pick<OpenClaim, 'claimedAtMs' | 'owner' | 'expiresAtMs'>,
  nowMs: number,
  staleClaimMs: number,
): boolean {
  if (nowMs - claim.claimedAtMs > staleClaimMs) return true;
  if (claim.expiresAtMs !== undefined && nowMs > claim.expiresAtMs) return true;
  return claim.owner !== undefined && ownerIsGone(claim.owner);
}
