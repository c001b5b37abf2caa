/**
 * Deletes what no version of the table can reach any more (the snapshotter's step 3): manifest
 * lists and manifests of expired snapshots and metadata files that fell off `metadata-log`
 * (which keeps the last `write.metadata.previous-versions-max`), plus data files compaction
 * replaced. What may go is narrow on purpose:
 *
 * - only names astha writes, directly under `<table>/metadata/` (`v<N>.metadata.json`,
 *   `<uuid>-m<k>.avro`, `snap-<id>-<uuid>.avro`); anything else there is someone else's;
 * - only objects last modified more than `olderThanMs` ago (default 3 days, as Iceberg's
 *   orphan removal), so files of a commit in flight, whose metadata is not written yet, stay;
 * - data files only when the caller names them (the registry's compaction-replaced files) and
 *   the walk finds them in no remaining snapshot. User data is never listed or deleted otherwise.
 *
 * Everything deleted is unreachable from the version the walk read, and objects only become
 * reachable again through new (young) files, so stopping after any delete (a crash) leaves the
 * table whole. A dry run computes the same list and deletes nothing.
 */
import { type LoadedTable, loadTable } from '../iceberg/commit/loadTable.js';
import { normalizeEtag } from '../registry/planRegistration.js';
import {
  metadataDir,
  type TableRef,
  versionHintKey,
  versionOfMetadataFile,
} from '../iceberg/tableLocation.js';
import type { ObjectStore } from '../store/objectStore.js';
import { allReachable, reachableFiles } from './reachableFiles.js';

export const DEFAULT_ORPHAN_AGE_MS = 3 * 24 * 60 * 60 * 1000;

export interface CleanupOptions {
  /** Safety age: only objects last modified before `nowMs - olderThanMs` may go. */
  olderThanMs?: number;
  /** List what would be deleted, delete nothing. */
  dryRun?: boolean;
  nowMs?: number;
  /** A version known to exist (the registry pointer): it and newer versions are never deleted. */
  knownVersion?: number | null;
  /**
   * Data files compaction replaced (candidates; reachable ones are kept). The ETag is the
   * replaced version's: an object written again at the same key since is someone's new data.
   */
  replacedDataFiles?: readonly ReplacedObject[];
}

export interface ReplacedObject {
  key: string;
  etag: string;
}

export type OrphanKind = 'metadata' | 'manifest-list' | 'manifest' | 'data';

export interface Orphan {
  key: string;
  kind: OrphanKind;
  size: number;
}

export interface CleanupResult {
  /** The version whose reachable set was kept (undefined: the table has no metadata yet). */
  version: number | undefined;
  /** What was deleted, or with `dryRun` what would be, in deletion order. */
  orphans: Orphan[];
  dryRun: boolean;
}

const MANIFEST = /^[0-9a-f-]{36}-m\d+\.avro$/;
const MANIFEST_LIST = /^snap-\d+-[0-9a-f-]{36}\.avro$/;

/** The kind of an astha-written metadata object from its name, or undefined for anything else. */
function kindOf(name: string): Exclude<OrphanKind, 'data'> | undefined {
  if (MANIFEST_LIST.test(name)) return 'manifest-list';
  if (MANIFEST.test(name)) return 'manifest';
  if (versionOfMetadataFile(name) !== undefined && /^v\d+\.metadata\.json$/.test(name)) return 'metadata';
  return undefined;
}

export async function cleanupOrphans(
  store: ObjectStore,
  table: TableRef,
  options: CleanupOptions = {},
): Promise<CleanupResult> {
  const dryRun = options.dryRun ?? false;
  const loaded = await loadTable(store, table, { knownVersion: options.knownVersion ?? null });
  if (!loaded) return { version: undefined, orphans: [], dryRun };
  const cutoffMs = (options.nowMs ?? Date.now()) - (options.olderThanMs ?? DEFAULT_ORPHAN_AGE_MS);
  const orphans = await findOrphans(store, table, loaded, cutoffMs, options);
  if (!dryRun) {
    // Loaders without a registry pointer start probing at the hint, and a probe that starts
    // at a deleted version finds nothing: the hint must name a version that stays. Unlike the
    // commit's best-effort hint, a failure here stops the cleanup before anything is deleted.
    if (orphans.some((o) => o.kind === 'metadata')) {
      await store.put(versionHintKey(table), String(loaded.version), { contentType: 'text/plain' });
    }
    for (const orphan of orphans) await store.delete(orphan.key);
  }
  return { version: loaded.version, orphans, dryRun };
}

async function findOrphans(
  store: ObjectStore,
  table: TableRef,
  loaded: LoadedTable,
  cutoffMs: number,
  options: CleanupOptions,
): Promise<Orphan[]> {
  const reachable = allReachable(await reachableFiles(store, loaded.metadata, loaded.metadataLocation));
  const protectFrom = Math.min(loaded.version, options.knownVersion ?? loaded.version);
  const dir = `${metadataDir(table)}/`;
  const found: Orphan[] = [];
  for await (const object of store.list(dir)) {
    const name = object.key.slice(dir.length);
    const kind = kindOf(name);
    if (kind === undefined || reachable.has(object.key)) continue;
    if (object.lastModified.getTime() >= cutoffMs) continue;
    // Versions at or past the newest are the table itself or a commit racing this cleanup.
    if (kind === 'metadata' && (versionOfMetadataFile(name) ?? 0) >= protectFrom) continue;
    found.push({ key: object.key, kind, size: object.size });
  }
  for (const { key, etag } of options.replacedDataFiles ?? []) {
    if (!key.startsWith(`${table.keyPrefix}/`) || key.startsWith(dir) || reachable.has(key)) continue;
    const info = await store.head(key);
    if (!info || info.lastModified.getTime() >= cutoffMs) continue;
    if (normalizeEtag(info.etag) !== normalizeEtag(etag)) continue;
    found.push({ key, kind: 'data', size: info.size });
  }
  // Lists before the manifests they name, metadata files last: a crash mid-way leaves no
  // remaining list pointing at a deleted manifest even for a reader of an expired snapshot.
  const order: Record<OrphanKind, number> = { 'manifest-list': 0, manifest: 1, data: 2, metadata: 3 };
  return found.sort((a, b) => order[a.kind] - order[b.kind] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
