import { StoreError } from '../errors.js';

/** What `head` and writes report about an object. */
export interface ObjectInfo {
  key: string;
  size: number;
  /**
   * Opaque version token; compare as-is (S3's is quoted). It changes whenever the content
   * changes. The memory and filesystem adapters change it on every write; S3's is the MD5 of
   * the content, so rewriting identical bytes keeps it (harmless: If-Match then sees equal data).
   */
  etag: string;
  lastModified: Date;
}

export interface ListedObject extends ObjectInfo {}

/** Inclusive-exclusive byte range: bytes [start, end). `end` omitted = to the end of the object. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface GetOptions {
  range?: ByteRange;
  /**
   * Read only this version (S3 `If-Match`): when the object's ETag is another (compared without
   * quotes), throws StoreError `conflict` instead of returning other bytes.
   */
  ifMatch?: string;
}

/** Whether two ETags name the same version (some stores quote them, the registry does not). */
export function sameEtag(a: string, b: string): boolean {
  return a.replace(/^"(.*)"$/, '$1') === b.replace(/^"(.*)"$/, '$1');
}

/** The error a read with `ifMatch` gets when the object has moved on to another version. */
export function otherVersion(key: string, expected: string, actual: string): StoreError {
  return new StoreError('conflict', `${key} changed: ETag is ${actual}, expected ${expected}`, {
    details: { key, expected, actual },
  });
}

export interface PutOptions {
  contentType?: string;
}

/**
 * The object store port: S3, a local directory or memory behind one interface.
 * Keys are relative, `/`-separated, validated by `validateKey`.
 */
export interface ObjectStore {
  /** A URL naming this store (`s3://bucket/prefix`, `file:///path`, `memory://name`). */
  readonly url: string;
  /** Whole object or a byte range. Throws StoreError `not_found`. */
  get(key: string, options?: GetOptions): Promise<Uint8Array>;
  /** Size, ETag and mtime, or `undefined` when the key does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`, in key order, fetched page by page. */
  list(prefix: string): AsyncIterable<ListedObject>;
  /** Unconditional write. */
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo>;
  /** Create only if absent (S3 `If-None-Match: *`). Throws StoreError `conflict` if the key exists. */
  putIfAbsent(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo>;
  /** Overwrite only if the current ETag is `etag` (S3 `If-Match`). Throws `conflict` otherwise, `not_found` if absent. */
  putIfMatch(key: string, body: Uint8Array | string, etag: string, options?: PutOptions): Promise<ObjectInfo>;
  /** Delete; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Starts a streaming write of `key`, for objects too big to hold in memory whole. Throws
   * StoreError `invalid_key` at once for a bad key. See `ObjectUpload` for the semantics.
   */
  upload(key: string, options?: PutOptions): ObjectUpload;
}

/**
 * A streaming write started by `ObjectStore.upload`. Bytes leave the process as they are
 * written (S3: multipart upload; filesystem: a temp file; memory: collected) and the adapter
 * holds at most one part (S3: 8 MiB) of them, so memory stays bounded whatever the size.
 *
 * Nothing is visible at the key until `complete` resolves; then the object is replaced
 * unconditionally, like `put`. `abort` leaves nothing behind (no temp file, no pending
 * multipart upload). A `write` or `complete` that fails aborts the upload itself before its
 * error reaches the caller, so a caller's own `abort` on its error path is harmless, not needed.
 */
export interface ObjectUpload {
  readonly key: string;
  /** Bytes accepted by `write` so far. */
  readonly bytesWritten: number;
  /**
   * Appends `chunk`. The bytes are copied or sent before the promise resolves, so the caller
   * may reuse the buffer afterwards. One call at a time: await each before the next.
   */
  write(chunk: Uint8Array): Promise<void>;
  /** Publishes everything written as the object (zero writes = an empty object). */
  complete(): Promise<ObjectInfo>;
  /** Discards the upload; a no-op once it completed or aborted. Waits for a call in flight. */
  abort(): Promise<void>;
}

/** An adapter's raw upload steps; `guardedUpload` sequences them. */
export interface UploadSink {
  write(chunk: Uint8Array): Promise<void>;
  complete(): Promise<ObjectInfo>;
  /** Must be safe to call at any point, also after a failed write or complete. */
  abort(): Promise<void>;
}

type UploadState = 'open' | 'busy' | 'completed' | 'aborted';

/**
 * The `ObjectUpload` rules every adapter shares: calls do not overlap, nothing is accepted
 * after complete or abort, and a failed step aborts the sink (its own error is the one thrown).
 */
export function guardedUpload(key: string, sink: UploadSink): ObjectUpload {
  let state: UploadState = 'open';
  let bytesWritten = 0;
  let inFlight: Promise<unknown> = Promise.resolve();

  const misuse = (what: string): StoreError =>
    new StoreError('backend', `upload of ${key}: ${what}`, { details: { key, state } });

  const step = async <T>(name: string, run: () => Promise<T>, done: UploadState): Promise<T> => {
    if (state !== 'open') {
      throw misuse(
        state === 'busy' ? `${name} while another call is in flight` : `${name} after it ${state}`,
      );
    }
    state = 'busy';
    const running = (async () => {
      try {
        const result = await run();
        state = done;
        return result;
      } catch (error) {
        state = 'aborted';
        await sink.abort().catch(() => undefined); // the step's error is the one that matters
        throw error;
      }
    })();
    // abort waits for the whole step, its clean-up after a failure included.
    inFlight = running.catch(() => undefined);
    return await running;
  };

  return {
    key,
    get bytesWritten() {
      return bytesWritten;
    },
    write: (chunk) =>
      step(
        'write',
        async () => {
          if (chunk.length === 0) return;
          await sink.write(chunk);
          bytesWritten += chunk.length;
        },
        'open',
      ),
    complete: () => step('complete', () => sink.complete(), 'completed'),
    async abort() {
      await inFlight;
      if (state === 'completed' || state === 'aborted') return;
      state = 'aborted';
      await sink.abort();
    },
  };
}

const MAX_KEY_BYTES = 1024;

/** Throws StoreError `invalid_key` unless `key` is a safe relative object key. */
export function validateKey(key: string): string {
  const reject = (why: string): never => {
    throw new StoreError('invalid_key', `invalid object key ${JSON.stringify(key)}: ${why}`, {
      details: { key },
    });
  };
  if (typeof key !== 'string' || key.length === 0) reject('empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) reject(`longer than ${MAX_KEY_BYTES} bytes`);
  if (key.startsWith('/')) reject('absolute path');
  if (key.includes('\\')) reject('backslash');
  if (key.includes('\0')) reject('NUL character');
  for (const segment of key.split('/')) {
    if (segment === '') reject('empty path segment');
    if (segment === '.' || segment === '..') reject(`"${segment}" segment`);
  }
  return key;
}

/** Validates a list prefix: like a key, but may be empty and may end with `/`. */
export function validatePrefix(prefix: string): string {
  if (prefix === '') return prefix;
  validateKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}

export function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? new TextEncoder().encode(body) : body;
}

/** Throws StoreError `invalid_range` unless `range` is well formed (integers, start >= 0, end > start). */
export function validateRange(range: ByteRange): ByteRange {
  const { start, end } = range;
  const ok =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end > start));
  if (!ok) {
    throw new StoreError('invalid_range', `invalid byte range ${JSON.stringify(range)}`, {
      details: { range },
    });
  }
  return range;
}

/**
 * The [start, end) actually served for an object of `size` bytes, the way S3 does it:
 * an end past the object is clipped, a start at or past the end is unsatisfiable.
 */
export function resolveRange(range: ByteRange, size: number, key: string): { start: number; end: number } {
  validateRange(range);
  if (range.start >= size) {
    throw new StoreError(
      'invalid_range',
      `range start ${range.start} is past the end of ${key} (${size} bytes)`,
      {
        details: { key, range, size },
      },
    );
  }
  return { start: range.start, end: Math.min(range.end ?? size, size) };
}

/** Key order of every adapter's `list`: S3's, i.e. by UTF-8 bytes (differs from JS string order for astral characters). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
