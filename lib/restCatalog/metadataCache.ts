/**
 * Table metadata and the LoadTable bodies built from it, by metadata location. A `v<N>.metadata.json` is immutable once written
 * (created with putIfAbsent, never rewritten), so its location names its content for good: a
 * table with thousands of snapshots is read once per process, and the response bodies built
 * from it (plain and gzip-compressed) are kept with it. Bounded by total text size, least recently used first.
 */
import { gzipSync } from 'node:zlib';
import { metadataText } from '../iceberg/commit/metadataText.js';
import type { TableMetadata } from '../iceberg/spec/tableMetadata.js';
import { keyOfUri } from '../iceberg/tableLocation.js';
import type { ObjectStore } from '../store/objectStore.js';

export type SnapshotsMode = 'all' | 'refs';

export interface CachedMetadata {
  readonly location: string;
  /** The LoadTableResult body for `snapshots=all|refs`, UTF-8 encoded, built once. */
  loadTableResult(mode: SnapshotsMode): Buffer;
  /** The same, gzip-compressed once (a large history compresses about tenfold). */
  loadTableResultGzip(mode: SnapshotsMode): Buffer;
}

export interface MetadataCacheOptions {
  /** Roughly how many bytes of metadata to keep (default 64 MiB). */
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
      // Counted as about three times the body: the text, the parsed model, the bodies built.
      (entry) => this.admit(location, 3 * entry.loadTableResult('all').length),
      () => this.entries.delete(location),
    );
    return loading;
  }

  private async read(location: string): Promise<CachedMetadata> {
    const bytes = await this.store.get(keyOfUri(this.store, location));
    const text = new TextDecoder().decode(bytes).trim();
    // Parsed only for `snapshots=refs`: `all` serves the file as it is, so a cold load of a
    // long history costs one read, not a parse of every snapshot.
    const parse = this.parse;
    const bodies = new Map<string, Buffer>();
    const body = (mode: SnapshotsMode): Buffer => {
      let found = bodies.get(mode);
      if (!found) {
        const document = mode === 'all' ? text : referencedOnly(parse(text), text);
        found = Buffer.from(
          `{"metadata-location":${JSON.stringify(location)},"metadata":${document},"config":{}}`,
        );
        bodies.set(mode, found);
      }
      return found;
    };
    const gzipped = (mode: SnapshotsMode): Buffer => {
      let found = bodies.get(`${mode}.gz`);
      if (!found) {
        found = gzipSync(body(mode), { level: 6 });
        bodies.set(`${mode}.gz`, found);
      }
      return found;
    };
    return { location, loadTableResult: body, loadTableResultGzip: gzipped };
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
