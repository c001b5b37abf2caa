/**
 * What a compaction look at a table would do, without doing it (`astha compact --dry-run`), and
 * why it would do nothing. The policy is resolved the way `compactTable` resolves it: the
 * registry's properties overlaid by the Iceberg table's, and a table with a column compaction
 * cannot write is skipped; the groups come from the same `planCompaction` over the same live files, the
 * retractions from the same lineage query, and the manifest rewrite from the same thresholds.
 */
import { listedManifests } from '../iceberg/commit/manifestLists.js';
import { type LoadedTable, loadTable } from '../iceberg/commit/loadTable.js';
import { currentSchema, currentSnapshot } from '../iceberg/spec/tableMetadata.js';
import { retractedOutputs } from '../registry/compactionLineage.js';
import { type LiveFile, liveFiles } from '../registry/compactionState.js';
import type { Registry } from '../registry/registry.js';
import { readTableProperties } from '../registry/tableProperties.js';
import type { ObjectStore } from '../store/objectStore.js';
import {
  COMPACTION_ENABLED,
  type CompactionPolicy,
  compactionPolicy,
  planCompaction,
  type RewriteGroup,
} from './planCompaction.js';
import { manifestMinCount, smallManifests } from './rewriteManifests.js';
import { uncompactableColumn } from './columnConversion.js';

export interface CompactionPlan {
  tableId: number;
  /** Undefined when the table has no Iceberg metadata yet (or is not active). */
  policy?: CompactionPolicy;
  liveFiles: number;
  groups: RewriteGroup[];
  /** Compacted outputs to rewrite without the rows of files the user deleted since (done first). */
  retractions: { path: string; partitionPath: string; rowsRemoved: number }[];
  /** The current snapshot's small data manifests and how many make a rewrite worth it. */
  manifests?: { small: number; total: number; rewriteAt: number };
  /** Why the table's data files are not considered at all (as `CompactionReport.skipped`). */
  skipped?: string;
  /** When no group is planned: why, in one line. */
  reason?: string;
}

export async function compactionPlan(
  tableId: number,
  deps: { registry: Registry; store: ObjectStore },
): Promise<CompactionPlan> {
  const row = await deps.registry.tableById(tableId);
  if (row?.state !== 'active' || row.metadata_version === null) {
    const why = row?.state !== 'active' ? `table is ${row?.state ?? 'gone'}` : 'nothing committed yet';
    return { tableId, liveFiles: 0, groups: [], retractions: [], reason: why };
  }
  const table = { keyPrefix: row.key_prefix, location: row.location };
  const loaded = await loadTable(deps.store, table, { knownVersion: row.metadata_version });
  if (!loaded) {
    return { tableId, liveFiles: 0, groups: [], retractions: [], reason: 'no Iceberg metadata found' };
  }
  const properties = await readTableProperties(deps.registry.client, tableId);
  const policy = compactionPolicy(properties);
  const files = await liveFiles(deps.registry.client, tableId);
  const retractions = (await retractedOutputs(deps.registry.client, tableId)).map((r) => ({
    path: r.output.path,
    partitionPath: r.output.partitionPath,
    rowsRemoved: r.ranges.reduce((n, range) => n + range.end - range.start, 0),
  }));
  const manifests = await manifestPlan(deps.store, loaded, properties);
  const base = { tableId, policy, liveFiles: files.length, retractions, ...(manifests ? { manifests } : {}) };
  const skipped = uncompactableColumn(currentSchema(loaded.metadata));
  if (skipped) return { ...base, groups: [], skipped, reason: skipped };
  const groups = planCompaction(files, policy);
  return { ...base, groups, ...(groups.length === 0 ? { reason: whyNothingPlanned(files, policy) } : {}) };
}

/** Counted by the rule `rewriteManifests` decides by. */
async function manifestPlan(
  store: ObjectStore,
  loaded: LoadedTable,
  properties: Readonly<Record<string, string>>,
): Promise<CompactionPlan['manifests']> {
  const rewriteAt = manifestMinCount(properties);
  const snapshot = currentSnapshot(loaded.metadata);
  if (!snapshot) return undefined;
  const list = await listedManifests(store, snapshot.manifestList);
  const small = smallManifests(list, properties);
  return { small: small.length, total: list.length, rewriteAt };
}

/** One line on why `planCompaction` found no group in `files` under `policy`. */
export function whyNothingPlanned(files: readonly LiveFile[], policy: CompactionPolicy): string {
  if (!policy.enabled) return `compaction is disabled (${COMPACTION_ENABLED}=false)`;
  if (files.length === 0) return 'the table has no live Parquet files';
  const smallBelow = policy.smallFileFraction * policy.targetFileSizeBytes;
  const small = new Map<string, number>();
  for (const file of files) {
    if (file.size < smallBelow) small.set(file.partitionPath, (small.get(file.partitionPath) ?? 0) + 1);
  }
  const rule = `no partition has >= ${policy.minInputFiles} files below ${formatBytes(smallBelow)}`;
  let most: [string, number] | undefined;
  for (const entry of small) if (!most || entry[1] > most[1]) most = entry;
  if (!most) return `${rule} (none of the ${files.length} live files is that small)`;
  if (most[1] < policy.minInputFiles) {
    const where = most[0] === '' ? 'the table' : most[0];
    return `${rule} (most: ${most[1]} in ${where})`;
  }
  // Enough small files, but bin-packing left no group of two (each alone fills the target).
  return `small files in ${most[0] === '' ? 'the table' : most[0]} do not pack two to a target-size file`;
}

/** Bytes in binary units, as Iceberg's sizes are meant (128 MiB target). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const digits = value >= 100 || Number.isInteger(value) ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}
