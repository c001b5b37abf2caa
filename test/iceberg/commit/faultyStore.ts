/**
 * A fault-injecting ObjectStore decorator: rules match a method and key and fire a fault
 * before the call (a transient 500, or a "crash" that aborts the committer) or after it (the
 * write happened, then the process died, or the response was lost). For `upload` the call is
 * its `complete()`: writes pass through, and 'before' means the object never appears.
 */
import { StoreError } from '../../../lib/errors.js';
import type {
  GetOptions,
  ObjectInfo,
  ObjectStore,
  ObjectUpload,
  PutOptions,
} from '../../../lib/store/objectStore.js';

export type StoreMethod = 'get' | 'head' | 'put' | 'putIfAbsent' | 'putIfMatch' | 'delete' | 'upload';

export interface FaultRule {
  method: StoreMethod;
  key: RegExp;
  /** 'before': the call does not happen; 'after': it happens, then the fault is thrown. */
  when: 'before' | 'after';
  /** The error to throw; without it the rule only runs `effect` and the call goes on. */
  fault?: () => Error;
  /** Runs when the rule fires (before the error is thrown): e.g. a rival committer acting. */
  effect?: () => Promise<void>;
  /** How many times the rule fires (default once). */
  times?: number;
}

/** Thrown to simulate the process dying at that point; nothing should catch it. */
export class InjectedCrash extends Error {
  constructor(where: string) {
    super(`injected crash ${where}`);
    this.name = 'InjectedCrash';
  }
}

export const transient500 = () =>
  new StoreError('backend', 'injected 500 InternalError', { retryable: true });

export class FaultyStore implements ObjectStore {
  readonly url: string;
  private readonly rules: Array<FaultRule & { left: number }> = [];
  /** Calls seen per method, for assertions. */
  readonly calls: Record<StoreMethod, number> = {
    get: 0,
    head: 0,
    put: 0,
    putIfAbsent: 0,
    putIfMatch: 0,
    delete: 0,
    upload: 0,
  };

  constructor(private readonly inner: ObjectStore) {
    this.url = inner.url;
  }

  inject(rule: FaultRule): this {
    this.rules.push({ ...rule, left: rule.times ?? 1 });
    return this;
  }

  clear(): void {
    this.rules.length = 0;
  }

  private async fire(method: StoreMethod, key: string, when: 'before' | 'after'): Promise<void> {
    const rule = this.rules.find(
      (r) => r.left > 0 && r.method === method && r.when === when && r.key.test(key),
    );
    if (!rule) return;
    rule.left -= 1;
    await rule.effect?.();
    if (rule.fault) throw rule.fault();
  }

  private async run<T>(method: StoreMethod, key: string, call: () => Promise<T>): Promise<T> {
    this.calls[method] += 1;
    await this.fire(method, key, 'before');
    const result = await call();
    await this.fire(method, key, 'after');
    return result;
  }

  get(key: string, options?: GetOptions): Promise<Uint8Array> {
    return this.run('get', key, () => this.inner.get(key, options));
  }
  head(key: string): Promise<ObjectInfo | undefined> {
    return this.run('head', key, () => this.inner.head(key));
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo> {
    return this.run('put', key, () => this.inner.put(key, body, options));
  }
  putIfAbsent(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo> {
    return this.run('putIfAbsent', key, () => this.inner.putIfAbsent(key, body, options));
  }
  putIfMatch(
    key: string,
    body: Uint8Array | string,
    etag: string,
    options?: PutOptions,
  ): Promise<ObjectInfo> {
    return this.run('putIfMatch', key, () => this.inner.putIfMatch(key, body, etag, options));
  }
  delete(key: string): Promise<void> {
    return this.run('delete', key, () => this.inner.delete(key));
  }
  /** Counted and faulted at `complete()`; a fault leaves the inner upload for the caller to abort, as a real crash would. */
  upload(key: string, options?: PutOptions): ObjectUpload {
    const inner = this.inner.upload(key, options);
    return {
      key: inner.key,
      get bytesWritten() {
        return inner.bytesWritten;
      },
      write: (chunk) => inner.write(chunk),
      complete: () => this.run('upload', key, () => inner.complete()),
      abort: () => inner.abort(),
    };
  }
}
