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
import { liveFiles, notLive, recordCompaction } from '../registry/compactionState.js';
import { recordCommit } from '../registry/commitState.js';
import type { Registry } from '../registry/registry.js';
import { readTableProperties } from '../registry/tableProperties.js';
import type { TableRow } from '../registry/rows.js';
import type { ObjectStore } from '../store/objectStore.js';
import { COMPACTION_SUMMARY, compactedOutput, dataFileSource } from './compactedOutput.js';
import { compactionPolicy, planCompaction, type RewriteGroup } from './planCompaction.js';
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
  /** Rewrite groups one look commits at most (default 4); the rest wait for the next look. */
  maxGroupsPerLook?: number;
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
  const maxGroups = deps.maxGroupsPerLook ?? 4;
  // Retractions first, whatever the policy says: they are about which rows the table holds.
  for (const retracted of (await retractedOutputs(deps.registry.client, tableId)).slice(0, maxGroups)) {
    const { output, ranges } = retracted;
    const group = {
      partitionPath: output.partitionPath,
      files: [output],
      bytes: output.size,
      rows: output.rowCount,
    };
    report.groups.push(await compactGroup(group, { ...context, exclude: new Map([[output.id, ranges]]) }));
  }
  // A column compaction cannot write: the table is left as it is, not failed on every look.
  const skipped = uncompactableColumn(currentSchema(loaded.metadata));
  if (skipped) report.skipped = skipped;
  const groups = skipped ? [] : planCompaction(await liveFiles(deps.registry.client, tableId), policy);
  for (const group of groups.slice(0, maxGroups)) report.groups.push(await compactGroup(group, context));
  const rewrite = await rewriteManifests(deps.store, table, {
    knownVersion: loaded.version,
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

async function compactGroup(group: RewriteGroup, context: GroupContext): Promise<GroupOutcome> {
  const { deps, row, table, loaded, clock } = context;
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
    return { ...outcome, refused, reason: errorMessage(error) };
  }
  outcome.outputFiles = written.length;
  outcome.bytesWritten = written.reduce((sum, f) => sum + f.size, 0);
  const partitionValuesJson = group.files[0]!.partitionValuesJson;
  const outputs = written.map((file) => ({
    ...compactedOutput(deps.store, file, group.partitionPath, partitionValuesJson, schema['schema-id']),
    segments: file.segments,
  }));
  const rowsOut = written.reduce((sum, f) => sum + f.rowCount, 0);
  const rowsRetracted = context.exclude ? group.rows - rowsOut : 0;
  // Rows left out are a change of data: readers of changes must not skip it as a replace.
  const operation = !context.exclude ? 'replace' : outputs.length === 0 ? 'delete' : 'overwrite';
  const inputs = group.files.map((f) => f.uri);
  const snapshotId = newSnapshotId();
  let result: Awaited<ReturnType<typeof replaceFiles>>;
  try {
    result = await replaceFiles(deps.store, table, {
      snapshotId,
      inputs,
      outputs: outputs.map(dataFileSource),
      gone: () => notLive(deps.registry.client, row.id, inputs),
      summary: COMPACTION_SUMMARY,
      operation,
      knownVersion: loaded.version,
      clock,
      ...(deps.limits ? { limits: deps.limits } : {}),
    });
  } catch (error) {
    // A concurrent delete or compaction won: our outputs stay unreferenced, the registry untouched.
    if (isInputsGone(error)) return { ...outcome, refused: 'inputs_gone' };
    throw error;
  }
  const { commit, snapshot } = result;
  await recordCompaction(deps.registry.client, {
    tableId: row.id,
    pointer: tablePointer(row.id, commit),
    snapshot: snapshotRecord(snapshot, commit.metadataLocation),
    inputUris: inputs,
    outputs,
    nowMs: clock.now(),
  });
  return {
    ...outcome,
    snapshotId: snapshot.snapshotId.toString(),
    attempts: commit.attempts,
    ...(rowsRetracted > 0 ? { rowsRetracted } : {}),
  };
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
