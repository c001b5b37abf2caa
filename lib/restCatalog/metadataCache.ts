/**
 * Parsed table metadata by metadata location. A `v<N>.metadata.json` is immutable once written
 * (created with putIfAbsent, never rewritten), so its location names its content for good: a
 * table with thousands of snapshots is read and parsed once per process, and the response
 * bodies built from it are kept with it. Bounded by total text size, least recently used first.
 */
import { metadataText } from '../iceberg/commit/metadataText.js';
import type { TableMetadata } from '../iceberg/spec/tableMetadata.js';
import { keyOfUri } from '../iceberg/tableLocation.js';
import type { ObjectStore } from '../store/objectStore.js';

export type SnapshotsMode = 'all' | 'refs';

export interface CachedMetadata {
  readonly location: string;
  readonly metadata: TableMetadata;
  /** The metadata document for `snapshots=all|refs`, as JSON text. */
  document(mode: SnapshotsMode): string;
}

export interface MetadataCacheOptions {
  /** Total metadata text kept, in UTF-16 code units (default 64 Mi). */
  maxChars?: number;
}

export class MetadataCache {
  private readonly entries = new Map<string, Promise<CachedMetadata>>();
  private readonly sizes = new Map<string, number>();
  private chars = 0;
  private readonly maxChars: number;

  constructor(
    private readonly store: ObjectStore,
    private readonly parse: (text: string) => TableMetadata,
    options: MetadataCacheOptions = {},
  ) {
    this.maxChars = options.maxChars ?? 64 * 1024 * 1024;
  }

  /** The metadata at `location`, read on first use; concurrent first uses share one read. */
  get(location: string): Promise<CachedMetadata> {
    const hit = this.entries.get(location);
    if (hit) {
      this.entries.delete(location);
      this.entries.set(location, hit);
      return hit;
    }
    const loading = this.read(location);
    this.entries.set(location, loading);
    loading.then(
      (entry) => this.admit(location, entry.document('all').length),
      () => this.entries.delete(location),
    );
    return loading;
  }

  private async read(location: string): Promise<CachedMetadata> {
    const bytes = await this.store.get(keyOfUri(this.store, location));
    const text = new TextDecoder().decode(bytes).trim();
    const metadata = this.parse(text);
    let refs: string | undefined;
    return {
      location,
      metadata,
      document: (mode) => {
        if (mode === 'all') return text;
        refs ??= referencedOnly(metadata, text);
        return refs;
      },
    };
  }

  private admit(location: string, size: number): void {
    if (!this.entries.has(location)) return;
    this.sizes.set(location, size);
    this.chars += size;
    for (const key of this.entries.keys()) {
      if (this.chars <= this.maxChars || key === location) break;
      this.entries.delete(key);
      this.chars -= this.sizes.get(key) ?? 0;
      this.sizes.delete(key);
    }
  }
}

/** The document with only the snapshots a branch or tag points at (the spec's `snapshots=refs`). */
function referencedOnly(metadata: TableMetadata, text: string): string {
  const referenced = new Set(Object.values(metadata.refs).map((ref) => ref.snapshotId));
  if (metadata.snapshots.every((s) => referenced.has(s.snapshotId))) return text;
  return metadataText({
    ...metadata,
    snapshots: metadata.snapshots.filter((s) => referenced.has(s.snapshotId)),
  });
}
