/**
 * A small ObjectStore over in-memory buffers that records every read, so tests can assert
 * that inspecting a file fetched only its footer. Writes are plain (no conditional semantics
 * needed here); ranges behave like S3's (end clamped to the object).
 */
import { StoreError } from '../../lib/errors.js';
import type {
  GetOptions,
  ListedObject,
  ObjectInfo,
  ObjectStore,
  ObjectUpload,
} from '../../lib/store/objectStore.js';
import { guardedUpload, toBytes } from '../../lib/store/objectStore.js';

export interface ReadLog {
  gets: Array<{ key: string; start: number; end: number }>;
  heads: string[];
}

export class CountingStore implements ObjectStore {
  readonly url = 'memory://counting';
  readonly reads: ReadLog = { gets: [], heads: [] };
  private readonly objects = new Map<string, Uint8Array>();

  constructor(objects: Record<string, Uint8Array> = {}) {
    for (const [key, bytes] of Object.entries(objects)) this.objects.set(key, bytes);
  }

  /** Bytes handed out by `get` since construction. */
  get bytesRead(): number {
    return this.reads.gets.reduce((sum, read) => sum + (read.end - read.start), 0);
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const bytes = this.objects.get(key);
    if (!bytes) throw new StoreError('not_found', `no object ${key}`);
    const start = options.range?.start ?? 0;
    const end = Math.min(options.range?.end ?? bytes.length, bytes.length);
    if (start >= bytes.length || end < start) {
      throw new StoreError('invalid_range', `range ${start}-${end} outside ${key} (${bytes.length} bytes)`);
    }
    this.reads.gets.push({ key, start, end });
    return bytes.slice(start, end);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    this.reads.heads.push(key);
    const bytes = this.objects.get(key);
    return bytes && { key, size: bytes.length, etag: `"${bytes.length}"`, lastModified: new Date(0) };
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    for (const key of [...this.objects.keys()].sort()) {
      if (key.startsWith(prefix)) yield (await this.head(key))!;
    }
  }

  async put(key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    this.objects.set(key, toBytes(body));
    return (await this.head(key))!;
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    if (this.objects.has(key)) throw new StoreError('conflict', `${key} exists`);
    return this.put(key, body);
  }

  async putIfMatch(key: string, body: Uint8Array | string, etag: string): Promise<ObjectInfo> {
    const current = await this.head(key);
    if (!current) throw new StoreError('not_found', `no object ${key}`);
    if (current.etag !== etag) throw new StoreError('conflict', `${key} changed`);
    return this.put(key, body);
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  /** Collects the chunks and stores them whole at `complete`. */
  upload(key: string): ObjectUpload {
    let chunks: Uint8Array[] = [];
    return guardedUpload(key, {
      write: async (chunk) => {
        chunks.push(chunk.slice());
      },
      complete: async () => this.put(key, Buffer.concat(chunks)),
      abort: async () => {
        chunks = [];
      },
    });
  }
}

/** Wraps any ObjectStore so its reads are logged the same way, for adapters under test. */
export function withReadLog(store: ObjectStore): ObjectStore & { reads: ReadLog } {
  const reads: ReadLog = { gets: [], heads: [] };
  return {
    url: store.url,
    reads,
    async get(key, options) {
      const bytes = await store.get(key, options);
      const start = options?.range?.start ?? 0;
      reads.gets.push({ key, start, end: start + bytes.length });
      return bytes;
    },
    async head(key) {
      reads.heads.push(key);
      return store.head(key);
    },
    list: (prefix) => store.list(prefix),
    put: (key, body, options) => store.put(key, body, options),
    putIfAbsent: (key, body, options) => store.putIfAbsent(key, body, options),
    putIfMatch: (key, body, etag, options) => store.putIfMatch(key, body, etag, options),
    delete: (key) => store.delete(key),
    upload: (key, options) => store.upload(key, options),
  };
}
