/**
 * In-process ObjectStore with the same semantics as the S3 and filesystem adapters:
 * conditional writes, S3-style ranges, key-ordered listing and an ETag that changes on
 * every write. Stores opened by the same `memory://name` in one process are one store.
 */
import { StoreError } from '../errors.js';
import {
  compareKeys,
  type GetOptions,
  guardedUpload,
  type ListedObject,
  type ObjectInfo,
  type ObjectStore,
  type ObjectUpload,
  otherVersion,
  resolveRange,
  sameEtag,
  toBytes,
  validateKey,
  validatePrefix,
} from './objectStore.js';

interface StoredObject {
  bytes: Uint8Array;
  info: ObjectInfo;
}

const namedStores = new Map<string, MemoryStore>();
/** Process-wide so an ETag is never reused, even across a delete and re-create. */
let writeCounter = 0;

export class MemoryStore implements ObjectStore {
  readonly url: string;
  private readonly objects = new Map<string, StoredObject>();

  constructor(name = 'anonymous') {
    this.url = `memory://${name}`;
  }

  /** The store named `name` in this process, created on first use. */
  static named(name: string): MemoryStore {
    let store = namedStores.get(name);
    if (!store) {
      store = new MemoryStore(name);
      namedStores.set(name, store);
    }
    return store;
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const object = this.objects.get(validateKey(key));
    if (!object) throw notFound(key);
    if (options.ifMatch !== undefined && !sameEtag(object.info.etag, options.ifMatch))
      throw otherVersion(key, options.ifMatch, object.info.etag);
    if (!options.range) return object.bytes.slice();
    const { start, end } = resolveRange(options.range, object.bytes.length, key);
    return object.bytes.slice(start, end);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const object = this.objects.get(validateKey(key));
    return object ? { ...object.info } : undefined;
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    validatePrefix(prefix);
    const keys = [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort(compareKeys);
    for (const key of keys) {
      // A key deleted while the caller iterates is skipped, as a later S3 page would.
      const object = this.objects.get(key);
      if (object) yield { ...object.info };
    }
  }

  async put(key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    return this.write(validateKey(key), body);
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    if (this.objects.has(validateKey(key))) {
      throw new StoreError('conflict', `${key} already exists`, { details: { key } });
    }
    return this.write(key, body);
  }

  async putIfMatch(key: string, body: Uint8Array | string, etag: string): Promise<ObjectInfo> {
    const current = this.objects.get(validateKey(key));
    if (!current) throw notFound(key);
    if (current.info.etag !== etag) {
      throw new StoreError('conflict', `${key} changed: ETag is ${current.info.etag}, expected ${etag}`, {
        details: { key, expected: etag, actual: current.info.etag },
      });
    }
    return this.write(key, body);
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(validateKey(key));
  }

  /** Collects copies of the chunks; the object appears, whole, at `complete`. */
  upload(key: string): ObjectUpload {
    validateKey(key);
    let chunks: Uint8Array[] = [];
    return guardedUpload(key, {
      write: async (chunk) => {
        chunks.push(chunk.slice());
      },
      complete: async () => {
        const bytes = Buffer.concat(chunks);
        chunks = [];
        return this.write(key, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
      },
      abort: async () => {
        chunks = [];
      },
    });
  }

  /** Synchronous from check to write, so conditional writes are atomic on the event loop. */
  private write(key: string, body: Uint8Array | string): ObjectInfo {
    const bytes = toBytes(body).slice();
    writeCounter += 1;
    const info: ObjectInfo = {
      key,
      size: bytes.length,
      etag: `"mem-${writeCounter.toString(36)}"`,
      lastModified: new Date(),
    };
    this.objects.set(key, { bytes, info });
    return { ...info };
  }
}

function notFound(key: string): StoreError {
  return new StoreError('not_found', `no such key ${key}`, { details: { key } });
}
