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
 *   the walk finds them in no remaining snapshot, or when they are compaction outputs nobody
 *   committed: named `_astha-compacted-<uuid>.parq` under `<table>/data/` (only the compactor
 *   writes that name), reached by no snapshot, and named by no registry row of the table (the
 *   compactor wrote them, then crashed or lost its commit). Of the replaced files only astha's
 *   own outputs go by default: a user's file that compaction replaced may feed other systems,
 *   and is deleted only when the table hands it over (`astha.cleanup.delete-replaced-user-files`
 *   = `true`, passed in as `deleteReplacedUserFiles`). User data is otherwise never deleted.
 *
 * Everything deleted is unreachable from the version the walk read, and objects only become
 * reachable again through new (young) files, so stopping after any delete (a crash) leaves the
 * table whole. A dry run computes the same list and deletes nothing; given the version an
 * expiration would write (`base`, in memory), it lists what cleanup would delete after it.
 *
 * Replaced data files are marked purged in the registry (`markPurged`) before they are deleted,
 * so their deletion is not taken for a user's; a crash in between leaves a marked file whose
 * object is still there, which the next run deletes.
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
/** Table property: `true` lets cleanup delete users' files that compaction replaced (default false). */
export const DELETE_REPLACED_USER_FILES = 'astha.cleanup.delete-replaced-user-files';

/** Whether the table's properties hand its compacted-away user files to cleanup. */
export function deletesReplacedUserFiles(properties: Readonly<Record<string, string>>): boolean {
  return properties[DELETE_REPLACED_USER_FILES]?.trim().toLowerCase() === 'true';
}

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
  /**
   * Whether replaced files astha did not write (users' files, `asthaWritten` unset) may be
   * deleted too; default false: only replaced compaction outputs go.
   */
  deleteReplacedUserFiles?: boolean;
  /**
   * Whether a registry row of the table names `key`. Given, compaction outputs under
   * `<table>/data/` that no snapshot reaches and no row names are deleted too; without it they
   * are not looked for (nothing else can tell an abandoned output from one being registered).
   */
  isRegistered?: (key: string) => Promise<boolean>;
  /** Called with the registry ids of replaced data files just before they are deleted. */
  markPurged?: (fileIds: number[]) => Promise<void>;
  /**
   * The version whose reachable set is kept, instead of the newest one loaded from the store: a
   * dry run passes the version expiration would write, computed in memory.
   */
  base?: LoadedTable;
}

export interface ReplacedObject {
  key: string;
  etag: string;
  /** The registry row (`table_files.id`) of the replaced version, marked purged before the delete. */
  fileId?: number;
  /** Astha wrote it (a compaction output); otherwise it is a user's file, kept unless handed over. */
  asthaWritten?: boolean;
}

export type OrphanKind = 'metadata' | 'manifest-list' | 'manifest' | 'data';

/** Why a data file goes: replaced by compaction, or a compaction output nobody committed. */
export type DataOrphanCause = 'replaced' | 'uncommitted-output';

export interface Orphan {
  key: string;
  kind: OrphanKind;
  size: number;
  /** Data files only. */
  cause?: DataOrphanCause;
  /** Replaced data files only: their registry row. */
  fileId?: number;
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
/** The compactor's output name (lib/compactor/rewriteFiles.ts), in any partition directory. */
const COMPACTION_OUTPUT =
  /(?:^|\/)_astha-compacted-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.parq$/;

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
  const loaded =
    options.base ?? (await loadTable(store, table, { knownVersion: options.knownVersion ?? null }));
  if (!loaded) return { version: undefined, orphans: [], dryRun };
  const cutoffMs = (options.nowMs ?? Date.now()) - (options.olderThanMs ?? DEFAULT_ORPHAN_AGE_MS);
  const orphans = await findOrphans(store, table, loaded, cutoffMs, options);
  if (!dryRun) {
    // Loaders without a registry pointer start probing at the hint; one naming a deleted
    // version costs them a listing of metadata/ (and readers that trust the hint fail): the hint
    // must name a version that stays. Unlike the commit's best-effort hint, a failure here
    // stops the cleanup before anything is deleted.
    if (orphans.some((o) => o.kind === 'metadata')) {
      await store.put(versionHintKey(table), String(loaded.version), { contentType: 'text/plain' });
    }
    let marked = false;
    for (const orphan of orphans) {
      if (orphan.kind === 'data' && !marked) {
        // All replaced files at once, before the first data file goes (data files come after
        // every list and manifest, and before any metadata file).
        const ids = orphans.flatMap((o) => (o.fileId === undefined ? [] : [o.fileId]));
        if (ids.length > 0 && options.markPurged) await options.markPurged(ids);
        marked = true;
      }
      await store.delete(orphan.key);
    }
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
  const found = await metadataOrphans(store, table, loaded, reachable, cutoffMs, options.knownVersion);
  // Replaced versions by key (a key written again after its file was replaced has several).
  const candidates = new Map<string, ReplacedObject[]>();
  for (const replaced of options.replacedDataFiles ?? []) {
    const { key } = replaced;
    if (!key.startsWith(`${table.keyPrefix}/`) || key.startsWith(`${metadataDir(table)}/`)) continue;
    if (!options.deleteReplacedUserFiles && !replaced.asthaWritten) continue;
    if (!reachable.has(key)) candidates.set(key, [...(candidates.get(key) ?? []), replaced]);
  }
  const dataDir = `${table.keyPrefix}/data/`;
  const scan = options.isRegistered
    ? await scanDataDir(store, dataDir, reachable, cutoffMs, options.isRegistered, candidates)
    : undefined;
  for (const [key, versions] of candidates) {
    // Not listed: deleted by an earlier run. Files purged long ago cost no request each run.
    if (scan && key.startsWith(dataDir) && !scan.present.has(key)) continue;

    // The HEAD decides, not the listing: the object must be a replaced version right now.
    const info = await store.head(key);
    if (!info || info.lastModified.getTime() >= cutoffMs) continue;
    const replaced = versions.find((v) => normalizeEtag(v.etag) === normalizeEtag(info.etag));
    if (!replaced) continue;
    const orphan: Orphan = { key, kind: 'data', size: info.size, cause: 'replaced' };
    found.push(replaced.fileId === undefined ? orphan : { ...orphan, fileId: replaced.fileId });
  }
  found.push(...(scan?.outputs ?? []));
  // Lists before the manifests they name, metadata files last: a crash mid-way leaves no
  // remaining list pointing at a deleted manifest even for a reader of an expired snapshot.
  const order: Record<OrphanKind, number> = { 'manifest-list': 0, manifest: 1, data: 2, metadata: 3 };
  return found.sort((a, b) => order[a.kind] - order[b.kind] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Unreachable manifest lists, manifests and metadata files astha wrote under `metadata/`. */
async function metadataOrphans(
  store: ObjectStore,
  table: TableRef,
  loaded: LoadedTable,
  reachable: ReadonlySet<string>,
  cutoffMs: number,
  knownVersion: number | null | undefined,
): Promise<Orphan[]> {
  const protectFrom = Math.min(loaded.version, knownVersion ?? loaded.version);
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
  return found;
}

/**
 * One listing of `<table>/data/`: compaction outputs no snapshot of the kept version reaches,
 * past the safety age, that no registry row names (the name alone picks them: registration
 * never takes a `.parq` file, so no user file is ever one of them), and which of the replaced
 * files (`candidates`) still exist.
 */
async function scanDataDir(
  store: ObjectStore,
  dataDir: string,
  reachable: ReadonlySet<string>,
  cutoffMs: number,
  isRegistered: (key: string) => Promise<boolean>,
  candidates: ReadonlyMap<string, unknown>,
): Promise<{ outputs: Orphan[]; present: Set<string> }> {
  const outputs: Orphan[] = [];
  const present = new Set<string>();
  for await (const object of store.list(dataDir)) {
    if (candidates.has(object.key)) {
      present.add(object.key);
      continue;
    }
    if (!COMPACTION_OUTPUT.test(object.key) || reachable.has(object.key)) continue;
    if (object.lastModified.getTime() >= cutoffMs) continue;
    if (await isRegistered(object.key)) continue;
    outputs.push({ key: object.key, kind: 'data', size: object.size, cause: 'uncommitted-output' });
  }
  return { outputs, present };
}
