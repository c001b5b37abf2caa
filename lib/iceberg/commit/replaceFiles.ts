/**
 * A `replace` snapshot (compaction): the input data files leave the table and the outputs,
 * holding exactly the same rows, enter it. The same commit with fewer rows out than in (a
 * retracted file's rows left out) is an `overwrite`, or a `delete` when nothing is written. Manifests holding an input are rewritten once (the
 * input as DELETED by this snapshot, the rest EXISTING with explicit sequence numbers); one new
 * manifest lists the outputs as ADDED; everything else is carried over.
 *
 * Every attempt validates its base: if any input is no longer live (a concurrent delete,
 * expiration or compaction took it), the replace is refused with reason `inputs_gone` and nothing
 * is committed, so a row can never be both in an input and in an output, or in neither.
 * The snapshot id is fixed by the caller, so a retry that finds it in the base is done.
 */
import type { ObjectStore } from '../../store/objectStore.js';
import { IcebergError } from '../icebergError.js';
import type { DataFile } from '../spec/dataFile.js';
import type { ManifestFileInput } from '../spec/manifestList.js';
import type { Snapshot, SnapshotOperation } from '../spec/snapshot.js';
import { currentSchema, currentSnapshot, defaultSpec, snapshotById } from '../spec/tableMetadata.js';
import type { TableCommit } from '../spec/tableUpdate.js';
import type { TableRef } from '../tableLocation.js';
import { type CommitOptions, type CommitResult, commitTable, committedSnapshot } from './commitTable.js';
import type { DataFileSource } from './dataFileFromRegistry.js';
import type { LoadedTable } from './loadTable.js';
import { writeAddedManifest } from './addedManifest.js';
import { ManifestRewrites, snapshotOnParent, takeOutOfManifests } from './rewriteSnapshot.js';

export interface ReplaceOptions extends CommitOptions {
  snapshotId: bigint;
  /** `file_path` URIs of the files being replaced; all must be live in the base. */
  inputs: readonly string[];
  /** The files replacing them (statistics as the registry will store them). */
  outputs: readonly DataFileSource[];
  /** Extra summary entries (e.g. which component wrote the snapshot). */
  summary?: Record<string, string>;
  /**
   * `replace` (default) when the outputs hold exactly the inputs' rows; `overwrite` when rows
   * were left out (readers of changes must not skip it); `delete` when there are no outputs.
   */
  operation?: Extract<SnapshotOperation, 'replace' | 'overwrite' | 'delete'>;
  /**
   * Inputs the caller no longer holds as live (e.g. their objects were deleted and the delete
   * snapshot is not committed yet), asked before every attempt: any answer refuses the replace,
   * or the deleted file's rows would live on in the output.
   */
  gone?: () => Promise<string[]>;
}

export interface ReplaceResult {
  commit: CommitResult;
  snapshot: Snapshot;
}

/** Why a replace was refused; `retryable: false` so commitTable stops at once. */
export function inputsGone(missing: readonly string[]): IcebergError {
  return new IcebergError(
    'requirement_failed',
    `${missing.length} input file(s) are no longer in the table`,
    {
      retryable: false,
      details: { reason: 'inputs_gone', missing: missing.slice(0, 10) },
    },
  );
}

export function isInputsGone(error: unknown): boolean {
  return error instanceof IcebergError && error.details?.reason === 'inputs_gone';
}

interface OutputsManifest {
  schemaId: number;
  specId: number;
  /** Undefined when there are no outputs (nothing to list). */
  manifest: ManifestFileInput | undefined;
  dataFiles: DataFile[];
}

export async function replaceFiles(
  store: ObjectStore,
  table: TableRef,
  options: ReplaceOptions,
): Promise<ReplaceResult> {
  let added: OutputsManifest | undefined;
  const rewrites = new ManifestRewrites();
  const commit = await commitTable(
    store,
    table,
    async (base) => {
      if (snapshotById(base.metadata, options.snapshotId)) return 'noop';
      const parent = currentSnapshot(base.metadata);
      if (!parent) throw inputsGone(options.inputs);
      const gone = (await options.gone?.()) ?? [];
      if (gone.length > 0) throw inputsGone(gone);
      const schema = currentSchema(base.metadata);
      const spec = defaultSpec(base.metadata);
      if (added?.schemaId !== schema['schema-id'] || added.specId !== spec.specId) {
        added = await writeOutputsManifest(store, table, base, options);
      }
      return replaceCommit(store, table, base, parent, options, added, rewrites);
    },
    options,
  );
  const snapshot = committedSnapshot(commit, options.snapshotId);
  return { commit, snapshot };
}

/** The outputs' manifest, written against the base's current schema and spec. */
async function writeOutputsManifest(
  store: ObjectStore,
  table: TableRef,
  base: LoadedTable,
  options: ReplaceOptions,
): Promise<OutputsManifest> {
  const schema = currentSchema(base.metadata);
  const spec = defaultSpec(base.metadata);
  const ids = { schemaId: schema['schema-id'], specId: spec.specId };
  if (options.outputs.length === 0) return { ...ids, manifest: undefined, dataFiles: [] };
  const written = await writeAddedManifest(store, table, schema, spec, options.outputs, options.snapshotId);
  return { ...ids, ...written };
}

async function replaceCommit(
  store: ObjectStore,
  table: TableRef,
  base: LoadedTable,
  parent: Snapshot,
  options: ReplaceOptions,
  added: OutputsManifest,
  rewrites: ManifestRewrites,
): Promise<TableCommit> {
  const wanted = new Set(options.inputs);
  const { manifests, removed } = await takeOutOfManifests(
    store,
    table,
    base,
    parent,
    wanted,
    options.snapshotId,
    rewrites,
  );
  if (removed.length !== wanted.size) {
    const found = new Set(removed.map((f) => f.filePath));
    throw inputsGone([...wanted].filter((uri) => !found.has(uri)));
  }
  return snapshotOnParent(store, table, base, parent, {
    snapshotId: options.snapshotId,
    operation: options.operation ?? 'replace',
    manifests: added.manifest ? [added.manifest, ...manifests] : manifests,
    added: added.dataFiles,
    removed,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.summary ? { summary: options.summary } : {}),
  });
}
