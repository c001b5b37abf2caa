/**
 * A store that "crashes" (throws `InjectedCrash`) when asked for its N+1th delete: the first N
 * deletes happen, nothing after them does, as when a function dies in the middle of a cleanup.
 */
import type {
  GetOptions,
  ObjectInfo,
  ObjectStore,
  ObjectUpload,
  PutOptions,
} from '../../lib/store/objectStore.js';

export class InjectedCrash extends Error {
  constructor(deletes: number) {
    super(`injected crash after ${deletes} deletes`);
    this.name = 'InjectedCrash';
  }
}

export class CrashingStore implements ObjectStore {
  readonly url: string;
  readonly deleted: string[] = [];

  constructor(
    private readonly inner: ObjectStore,
    private readonly deletesBeforeCrash: number,
  ) {
    this.url = inner.url;
  }

  get(key: string, options?: GetOptions): Promise<Uint8Array> {
    return this.inner.get(key, options);
  }
  head(key: string): Promise<ObjectInfo | undefined> {
    return this.inner.head(key);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo> {
    return this.inner.put(key, body, options);
  }
  putIfAbsent(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo> {
    return this.inner.putIfAbsent(key, body, options);
  }
  putIfMatch(
    key: string,
    body: Uint8Array | string,
    etag: string,
    options?: PutOptions,
  ): Promise<ObjectInfo> {
    return this.inner.putIfMatch(key, body, etag, options);
  }
  /** Not subject to the crash, which counts deletes only. */
  upload(key: string, options?: PutOptions): ObjectUpload {
    return this.inner.upload(key, options);
  }
  async delete(key: string): Promise<void> {
    if (this.deleted.length >= this.deletesBeforeCrash) throw new InjectedCrash(this.deleted.length);
    await this.inner.delete(key);
    this.deleted.push(key);
  }
}
