/**
 * A store that "crashes" (throws `InjectedCrash`) when asked for its N+1th delete, or for the
 * delete of a key `crashAt` picks: the deletes before it happen, nothing after them does, as
 * when a function dies in the middle of a cleanup.
 * Everything else goes to the wrapped store unchanged (a proxy, so methods the port gains
 * later pass through too).
 */
import type { ObjectStore } from '../../lib/store/objectStore.js';

export class InjectedCrash extends Error {
  constructor(deletes: number) {
    super(`injected crash after ${deletes} deletes`);
    this.name = 'InjectedCrash';
  }
}

export interface CrashingStore extends ObjectStore {
  /** Keys deleted before the crash, in order. */
  readonly deleted: string[];
}

export function crashingStore(
  inner: ObjectStore,
  crashAt: number | ((key: string) => boolean),
): CrashingStore {
  const deleted: string[] = [];
  const crashingDelete = async (key: string): Promise<void> => {
    const crash = typeof crashAt === 'number' ? deleted.length >= crashAt : crashAt(key);
    if (crash) throw new InjectedCrash(deleted.length);
    await inner.delete(key);
    deleted.push(key);
  };
  const proxy = new Proxy(inner, {
    get(target, property) {
      if (property === 'deleted') return deleted;
      if (property === 'delete') return crashingDelete;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return proxy as CrashingStore;
}
