/**
 * One compaction look at a table: finish any compaction whose `replace` snapshot committed but
 * whose registry update was lost (crash); take retracted rows out (a file the user deleted or
 * overwrote after it was compacted: each output holding its rows is rewritten without them, an
 * `overwrite` snapshot); then plan rewrite groups from the registry, and for each group rewrite
 * its files, commit a `replace` snapshot and record it.
 *
 * Crash safety without a registry intent: outputs are written before the commit and are
 * unreferenced until it succeeds (a crash or a refused replace leaves only orphans, which the
 * snapshotter's cleanup may delete); the commit itself is the one atomic step; and a committed
 * replace the registry does not know yet is found in the table's snapshots on the next look
 * (`recoverReplaces`), its inputs and outputs read back from its own manifests.
 */
import { AsthaError, errorMessage, StoreError } from '../errors.js';
import { ParquetError } from '../parquet/parquetError.js';
import { isInputsGone, replaceFiles } from '../iceberg/commit/replaceFiles.js';
import { IcebergError } from '../iceberg/icebergError.js';
import { type CommitClock, type CommitLimits, systemCommitClock } from '../iceberg/commit/commitBackoff.js';
import { type LoadedTable, loadTable } from '../iceberg/commit/loadTable.js';
import { snapshotRecord, tablePointer } from '../iceberg/commit/registryRecords.js';
import { newSnapshotId } from '../iceberg/spec/snapshot.js';
import { currentSchema, defaultSpec } from '../iceberg/spec/tableMetadata.js';
import type { TableRef } from '../iceberg/tableLocation.js';
import { retractedOutputs } from '../registry/compactionLineage.js';
import { appendsWaiting, liveFiles, notLive, recordCompaction } from '../registry/compactionState.js';
import { recordCommit } from '../registry/commitState.js';
import { endTurn, takeTurn } from '../registry/commitTurns.js';
import type { Registry } from '../registry/registry.js';
import { readTableProperties } from '../registry/tableProperties.js';
import type { TableRow } from '../registry/rows.js';
import type { ObjectStore } from '../store/objectStore.js';
import { COMPACTION_SUMMARY, compactedOutput, dataFileSource } from './compactedOutput.js';
import {
  type CompactionPolicy,
  compactionPolicy,
  planCompaction,
  type RewriteGroup,
} from './planCompaction.js';
import { recoverReplaces } from './recoverReplaces.js';
import { manifestMinCount, rewriteManifests } from './rewriteManifests.js';
import {
  outputCodec,
  type RewriteOptions,
  type RewrittenFile,
  type RowRange,
  rewriteGroup,
} from './rewriteFiles.js';
import { uncompactableColumn } from './columnConversion.js';

export interface CompactorDeps {
  registry: Registry;
  store: ObjectStore;
  clock?: CommitClock;
  limits?: Partial<CommitLimits>;
  /**
   * Rewrite groups one replace snapshot commits at most (default 100; a command run: all). The
   * groups of a run are disjoint, so they commit together; a look runs until nothing qualifies.
   */
  maxGroupsPerRun?: number;
  /** A look starts no new run after this long (default 400 s: the compactor Lambda has 900 s). */
  lookBudgetMs?: number;
  rowGroupRows?: number;
  onRowGroup?: () => void;
}

export interface GroupOutcome {
  partitionPath: string;
  inputFiles: number;
  outputFiles: number;
  bytesRead: number;
  bytesWritten: number;
  /** The replace snapshot, or why the group was not committed. */
  snapshotId?: string;
  refused?: 'inputs_gone' | 'input_missing' | 'unsupported' | 'unreadable';
  reason?: string;
  /** Metadata PUT attempts the commit took (more than 1: it lost a race and was rebuilt). */
  attempts?: number;
  /** A retraction: rows of retracted files left out of the rewritten output. */
  rowsRetracted?: number;
}

export interface CompactionReport {
  tableId: number;
  /** Replace snapshots whose registry update this look finished (after a crash). */
  recovered: string[];
  groups: GroupOutcome[];
  /** Why the table's data files were not considered (manifests may still be rewritten). */
  skipped?: string;
  /** Groups still qualifying when the look's time budget ran out (the next look takes them). */
  remaining?: number;
  /** The manifest rewrite this look committed, if the table had many small manifests. */
  manifests?: { snapshotId: string; replaced: number; created: number };
}

export async function compactTable(tableId: number, deps: CompactorDeps): Promise<CompactionReport> {
  const report: CompactionReport = { tableId, recovered: [], groups: [] };
  const row = await deps.registry.tableById(tableId);
  if (row?.state !== 'active' || row.metadata_version === null) return report;
  const table: TableRef = { keyPrefix: row.key_prefix, location: row.location };
  const loaded = await loadTable(deps.store, table, { knownVersion: row.metadata_version });
  if (!loaded) return report;
  const clock = deps.clock ?? systemCommitClock;
  report.recovered = await recoverReplaces({ ...deps, clock, tableId, loaded });
  // The registry holds the properties; the table's copy may lag a change made while nothing ran.
  const properties = await readTableProperties(deps.registry.client, tableId);
  const policy = compactionPolicy(properties);
  const context: GroupContext = {
    deps,
    row,
    table,
    loaded,
    clock,
    target: policy.targetFileSizeBytes,
    codecProperty: properties['write.parquet.compression-codec'],
  };
  // Retractions first, whatever the policy says: they are about which rows the table holds.
  for (const retracted of await retractedOutputs(deps.registry.client, tableId)) {
    const { output, ranges } = retracted;
    const group = {
      partitionPath: output.partitionPath,
      files: [output],
      bytes: output.size,
      rows: output.rowCount,
    };
    const retraction = { ...context, exclude: new Map([[output.id, ranges]]) };
    report.groups.push(...(await commitRun([group], retraction)));
    context.loaded = retraction.loaded;
  }
  // A column compaction cannot write: the table is left as it is, not failed on every look.
  const skipped = uncompactableColumn(currentSchema(context.loaded.metadata));
  if (skipped) report.skipped = skipped;
  else await compactUntilDone(policy, context, report);
  const rewrite = await rewriteManifests(deps.store, table, {
    knownVersion: context.loaded.version,
    clock,
    minCount: manifestMinCount(properties),
    properties,
    ...(deps.limits ? { limits: deps.limits } : {}),
  });
  if (rewrite) {
    await recordCommit(deps.registry.client, {
      pointer: tablePointer(row.id, rewrite.commit),
      snapshot: snapshotRecord(rewrite.snapshot, rewrite.commit.metadataLocation),
      fileIds: [],
      nowMs: clock.now(),
    });
    report.manifests = {
      snapshotId: rewrite.snapshot.snapshotId.toString(),
      replaced: rewrite.replaced,
      created: rewrite.created,
    };
  }
  return report;
}

interface GroupContext {
  deps: CompactorDeps;
  row: TableRow;
  table: TableRef;
  loaded: LoadedTable;
  clock: CommitClock;
  target: number;
  /** The table's `write.parquet.compression-codec`. */
  codecProperty: string | undefined;
  /** Input rows to leave out (a retraction). */
  exclude?: ReadonlyMap<number, readonly RowRange[]>;
}

/** Groups a run commits at most when the caller does not say (the byte bound usually binds first). */
const GROUPS_PER_RUN = 100;
/** A run stops taking groups past this many input bytes (a bigger group still runs alone). */
const RUN_BYTES = 1024 ** 3;
const LOOK_BUDGET_MS = 400_000;

/**
 * Plans, rewrites and commits runs of groups until nothing qualifies or the time budget is
 * spent: one look leaves no eligible partition waiting for another file to arrive. Each run is
 * one replace snapshot, as Iceberg's rewrite-data-files commits its file groups. A group that
 * cannot be rewritten is not planned again in this look. While files wait to be committed the
 * look ends after its first run: appends come first.
 */
async function compactUntilDone(policy: CompactionPolicy, context: GroupContext, report: CompactionReport) {
  const { deps, row, clock } = context;
  const started = clock.now();
  const refused = new Set<number>();
  for (let run = 0; ; run++) {
    const groups = planCompaction(await liveFiles(deps.registry.client, row.id), policy).filter(
      (group) => !group.files.some((file) => refused.has(file.id)),
    );
    if (groups.length === 0) return;
    // The first run always goes: a budget of 0 means one run per look. Later runs yield to
    // appends: files waiting to commit end the look (their commit wakes the compactor again),
    // so compaction never holds a table's freshness back while files keep arriving.
    if (
      run > 0 &&
      (clock.now() - started >= (deps.lookBudgetMs ?? LOOK_BUDGET_MS) ||
        (await appendsWaiting(deps.registry.client, row.id)))
    ) {
      report.remaining = groups.length;
      return;
    }
    const taken = takeRun(groups, deps.maxGroupsPerRun ?? GROUPS_PER_RUN);
    const outcomes = await commitRun(taken, context);
    report.groups.push(...outcomes);
    outcomes.forEach((outcome, i) => {
      if (outcome.snapshotId === undefined) for (const file of taken[i]!.files) refused.add(file.id);
    });
  }
}

function takeRun(groups: readonly RewriteGroup[], maxGroups: number): RewriteGroup[] {
  const run: RewriteGroup[] = [];
  let bytes = 0;
  for (const group of groups) {
    if (run.length >= maxGroups || (run.length > 0 && bytes + group.bytes > RUN_BYTES)) break;
    run.push(group);
    bytes += group.bytes;
  }
  return run;
}

interface Rewritten {
  index: number;
  group: RewriteGroup;
  outputs: (ReturnType<typeof compactedOutput> & { segments: RewrittenFile['segments'] })[];
}

/** Races a replace loses before it takes a turn at the table's commits. */
const TURN_AFTER_LOST_RACES = 1;
/** How long a turn holds appends back (renewed by every race lost meanwhile). */
const TURN_MS = 2_000;
const TURN_HOLDER = 'compactor';

/**
 * Rewrites each group, then commits every rewritten one in one snapshot and records it; returns
 * one outcome per group, in order. Updates `context.loaded` to the committed version.
 */
async function commitRun(groups: readonly RewriteGroup[], context: GroupContext): Promise<GroupOutcome[]> {
  const outcomes: GroupOutcome[] = [];
  const rewritten: Rewritten[] = [];
  for (const [index, group] of groups.entries()) {
    const { outcome, outputs } = await rewriteOne(group, context);
    outcomes.push(outcome);
    if (outputs) rewritten.push({ index, group, outputs });
  }
  if (rewritten.length === 0) return outcomes;
  const { deps, row, table, clock } = context;
  const outputs = rewritten.flatMap((r) => r.outputs);
  // Rows left out are a change of data: readers of changes must not skip it as a replace.
  const operation = !context.exclude ? 'replace' : outputs.length === 0 ? 'delete' : 'overwrite';
  const inputs = rewritten.flatMap((r) => r.group.files.map((f) => f.uri));
  let result: Awaited<ReturnType<typeof replaceFiles>>;
  // After losing a race to appends (its rewrites are kept, so the next attempt reads only what
  // the winners added), the replace takes a short turn at the table's commits (appends wait
  // before claiming) and retries at once; the turn ends with its commit.
  let turn = false;
  const endOwnTurn = async () => {
    if (!turn) return;
    turn = false;
    // A turn left behind runs out by itself (TURN_MS).
    await endTurn(deps.registry.client, row.id, TURN_HOLDER).catch(() => undefined);
  };
  const onLostRace = async (attempt: number) => {
    if (attempt < TURN_AFTER_LOST_RACES) return false;
    await takeTurn(deps.registry.client, row.id, { holder: TURN_HOLDER, untilMs: clock.now() + TURN_MS });
    turn = true;
    return true;
  };
  try {
    try {
      result = await replaceFiles(deps.store, table, {
        snapshotId: newSnapshotId(),
        inputs,
        outputs: outputs.map(dataFileSource),
        gone: () => notLive(deps.registry.client, row.id, inputs),
        summary: COMPACTION_SUMMARY,
        operation,
        knownVersion: context.loaded.version,
        clock,
        onLostRace,
        ...(deps.limits ? { limits: deps.limits } : {}),
      });
      // Appends go on from here (they probe past a turn, so the record need not come first).
      await endOwnTurn();
    } catch (error) {
      // A concurrent delete or compaction won: our outputs stay unreferenced, the registry untouched.
      if (!isInputsGone(error)) throw error;
      for (const r of rewritten) outcomes[r.index] = { ...outcomes[r.index]!, refused: 'inputs_gone' };
      return outcomes;
    }
    await recordCompaction(deps.registry.client, {
      tableId: row.id,
      pointer: tablePointer(row.id, result.commit),
      snapshot: snapshotRecord(result.snapshot, result.commit.metadataLocation),
      inputUris: inputs,
      outputs,
      nowMs: clock.now(),
    });
  } finally {
    await endOwnTurn();
  }
  const { commit, snapshot } = result;
  context.loaded = commit;
  for (const r of rewritten) {
    outcomes[r.index] = {
      ...outcomes[r.index]!,
      snapshotId: snapshot.snapshotId.toString(),
      attempts: commit.attempts,
    };
  }
  return outcomes;
}

/** One group's outputs, written and unreferenced; or its outcome alone when it cannot be rewritten. */
async function rewriteOne(
  group: RewriteGroup,
  context: GroupContext,
): Promise<{ outcome: GroupOutcome; outputs?: Rewritten['outputs'] }> {
  const { deps, row, loaded } = context;
  const schema = currentSchema(loaded.metadata);
  const options: RewriteOptions = {
    store: deps.store,
    tableKeyPrefix: row.key_prefix,
    schema,
    spec: defaultSpec(loaded.metadata),
    targetFileSizeBytes: context.target,
    codec: outputCodec(context.codecProperty),
    ...(deps.rowGroupRows ? { rowGroupRows: deps.rowGroupRows } : {}),
    ...(deps.onRowGroup ? { onRowGroup: deps.onRowGroup } : {}),
    ...(context.exclude ? { excludeRows: context.exclude } : {}),
  };
  const outcome: GroupOutcome = {
    partitionPath: group.partitionPath,
    inputFiles: group.files.length,
    outputFiles: 0,
    bytesRead: group.bytes,
    bytesWritten: 0,
  };
  let written: RewrittenFile[];
  try {
    written = await rewriteGroup(group, options);
  } catch (error) {
    // A file gone from the store (its removal not registered yet) or a column astha cannot
    // rewrite would fail this look every time: report the group and leave it as it is.
    const refused = unrewritable(error);
    if (!refused) throw error;
    return { outcome: { ...outcome, refused, reason: errorMessage(error) } };
  }
  outcome.outputFiles = written.length;
  outcome.bytesWritten = written.reduce((sum, f) => sum + f.size, 0);
  const rowsOut = written.reduce((sum, f) => sum + f.rowCount, 0);
  const rowsRetracted = context.exclude ? group.rows - rowsOut : 0;
  if (rowsRetracted > 0) outcome.rowsRetracted = rowsRetracted;
  const partitionValuesJson = group.files[0]!.partitionValuesJson;
  const outputs = written.map((file) => ({
    ...compactedOutput(deps.store, file, group.partitionPath, partitionValuesJson, schema['schema-id']),
    segments: file.segments,
  }));
  return { outcome, outputs };
}

/**
 * Why a group can never be rewritten as it is, or undefined for a failure worth retrying. An
 * input whose pages do not decode (hyparquet's plain errors, a ParquetError) reads the same on
 * every look: retrying would only take the table's message to the dead-letter queue.
 */
function unrewritable(error: unknown): GroupOutcome['refused'] | undefined {
  if (error instanceof StoreError && error.code === 'not_found') return 'input_missing';
  if (error instanceof IcebergError && error.code === 'unsupported') return 'unsupported';
  if (error instanceof ParquetError || !(error instanceof AsthaError)) return 'unreadable';
  return undefined;
}
