/**
 * Finding a table's current metadata version on an object store without a catalog
 * (DESIGN.md, "Commit protocol" step 1): start from a known version (the registry pointer,
 * else `version-hint.text`, else the highest `v<N>.metadata.json` one listing of `metadata/`
 * shows), then probe `v<N+1>`, `v<N+2>`... until one is absent. The pointer, the hint and the
 * listing are only start points: they lag after a crash (or, for a listing, behind a write),
 * the probe never does, because versions are created with `putIfAbsent` and cleanup only
 * deletes versions older than the newest.
 */
import { StoreError } from '../../errors.js';
import type { ObjectStore } from '../../store/objectStore.js';
import type { TableMetadata } from '../spec/tableMetadata.js';
import { parseMetadataText } from './metadataText.js';
import {
  metadataDir,
  metadataKey,
  metadataUri,
  type TableRef,
  versionHintKey,
  versionOfMetadataFile,
} from '../tableLocation.js';

export interface LoadedTable {
  version: number;
  metadata: TableMetadata;
  /** URI of `v<version>.metadata.json`. */
  metadataLocation: string;
}

export interface LoadOptions {
  /** A version known to exist (e.g. `tables.metadata_version`); the hint file is read otherwise. */
  knownVersion?: number | null;
  /**
   * Take `knownVersion` as the newest when this process holds exactly that version with this
   * current snapshot (the registry's pointer to a version it wrote or read): no probe. Only for
   * a committer, whose conditional PUT finds any newer version (a lost race, then a probing
   * reload); a reader must probe.
   */
  trustKnown?: { currentSnapshotId: string | null };
}

/** The table's newest metadata, or undefined when no version exists yet. */
export async function loadTable(
  store: ObjectStore,
  table: TableRef,
  options: LoadOptions = {},
): Promise<LoadedTable | undefined> {
  const trusted =
    options.trustKnown && trustedVersion(store, table, options.knownVersion, options.trustKnown);
  if (trusted) return trusted;
  const start = options.knownVersion ?? (await readVersionHint(store, table)) ?? 0;
  const latest = await probeLatest(store, table, start);
  if (latest.version === 0) return undefined;
  const cached = recentVersions.get(cacheKey(store, table));
  if (cached && cached.loaded.version === latest.version && cached.etag === latest.etag) return cached.loaded;
  const loaded = await readVersion(store, table, latest.version);
  remember(store, table, loaded, latest.etag);
  return loaded;
}

/**
 * The newest version each table was seen at, in this process. Metadata files are immutable
 * (created with putIfAbsent, never rewritten), and the ETag from the probe's HEAD confirms
 * the file is the one cached, so a warm updater skips re-reading and re-parsing its own last
 * commit: the file holds the table's whole history and grows with every snapshot.
 */
const recentVersions = new Map<string, { loaded: LoadedTable; etag: string }>();
const MAX_CACHED_TABLES = 64;

function cacheKey(store: ObjectStore, table: TableRef): string {
  return `${store.url}|${table.keyPrefix}`;
}

/** The cached version when it is `version` with `currentSnapshotId` current (never another table's that happens to share both). */
function trustedVersion(
  store: ObjectStore,
  table: TableRef,
  version: number | null | undefined,
  pointer: { currentSnapshotId: string | null },
): LoadedTable | undefined {
  const cached = recentVersions.get(cacheKey(store, table))?.loaded;
  if (!cached || version == null || cached.version !== version) return undefined;
  const current = cached.metadata.currentSnapshotId;
  return (current === undefined ? null : current.toString()) === pointer.currentSnapshotId
    ? cached
    : undefined;
}

/** Records a version this process wrote or read (its ETag as the store reported it). */
export function remember(store: ObjectStore, table: TableRef, loaded: LoadedTable, etag: string): void {
  const key = cacheKey(store, table);
  const current = recentVersions.get(key);
  if (current && current.loaded.version > loaded.version) return;
  recentVersions.delete(key);
  if (recentVersions.size >= MAX_CACHED_TABLES) {
    const oldest = recentVersions.keys().next().value;
    if (oldest !== undefined) recentVersions.delete(oldest);
  }
  recentVersions.set(key, { loaded, etag });
}

/** Reads `v<version>.metadata.json`; throws StoreError `not_found` if it does not exist. */
export async function readVersion(
  store: ObjectStore,
  table: TableRef,
  version: number,
): Promise<LoadedTable> {
  const bytes = await store.get(metadataKey(table, version));
  return {
    version,
    metadata: parseMetadataText(new TextDecoder().decode(bytes)),
    metadataLocation: metadataUri(table, version),
  };
}

/**
 * The highest existing version at or after `from` (0 = none). When `from` is unknown (0) or
 * missing (a hint from a table that was re-created, a pointer ahead of the store, a version
 * cleanup deleted) it starts from the highest version a listing shows: probing from v1 would
 * cost one request per version, and finds nothing at all once cleanup has deleted v1.
 */
export async function probeLatest(
  store: ObjectStore,
  table: TableRef,
  from: number,
): Promise<{ version: number; etag: string }> {
  let start = { version: 0, etag: '' };
  // Whether a version newer than the start point was found: the table is moving.
  let moving = false;
  if (from > 0) {
    // The known version and the one after it side by side: a table nobody else committed to
    // since (the usual case) costs one round trip, not two.
    const [info, after] = await Promise.all([
      store.head(metadataKey(table, from)),
      store.head(metadataKey(table, from + 1)),
    ]);
    if (info && !after) return { version: from, etag: info.etag };
    if (info && after) {
      start = { version: from + 1, etag: after.etag };
      moving = true;
    }
  }
  if (start.version === 0) start = await highestListedVersion(store, table);
  let { version, etag } = start;
  // Versions are contiguous (each created with putIfAbsent after the one before), so once the
  // table is seen moving the next few are probed side by side: a committer that lost races to
  // a busy table catches up in one round trip instead of one per version it missed.
  for (;;) {
    const window = Array.from({ length: moving ? PROBE_WINDOW : 1 }, (_, i) => version + 1 + i);
    const found = await Promise.all(window.map((v) => store.head(metadataKey(table, v))));
    const absent = found.findIndex((info) => !info);
    const present = absent === -1 ? found : found.slice(0, absent);
    if (present.length > 0) {
      version += present.length;
      etag = present.at(-1)!.etag;
      moving = true;
    }
    if (absent !== -1) return { version, etag };
  }
}

/** Versions probed side by side after the first one found newer than the start. */
const PROBE_WINDOW = 4;

/** The highest `v<N>.metadata.json` directly under the table's `metadata/` (0 when none). */
export async function highestListedVersion(
  store: ObjectStore,
  table: TableRef,
): Promise<{ version: number; etag: string }> {
  const dir = `${metadataDir(table)}/`;
  let highest = { version: 0, etag: '' };
  for await (const object of store.list(dir)) {
    const name = object.key.slice(dir.length);
    if (!/^v\d+\.metadata\.json$/.test(name)) continue;
    const version = versionOfMetadataFile(name) ?? 0;
    if (version > highest.version) highest = { version, etag: object.etag };
  }
  return highest;
}

/** `version-hint.text` as a number; undefined when absent or not a bare integer (hints are best effort). */
export async function readVersionHint(store: ObjectStore, table: TableRef): Promise<number | undefined> {
  try {
    const text = new TextDecoder().decode(await store.get(versionHintKey(table))).trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch (error) {
    if (error instanceof StoreError && error.code === 'not_found') return undefined;
    throw error;
  }
}

/** Forgets every cached version (a cold process), for tests and the benchmark. */
export function forgetCachedVersions(): void {
  recentVersions.clear();
}
