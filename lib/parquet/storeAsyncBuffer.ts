import type { AsyncBuffer } from 'hyparquet';
import type { ObjectStore } from '../store/objectStore.js';
import { ParquetError } from './parquetError.js';

/**
 * A hyparquet `AsyncBuffer` over one object of an `ObjectStore`: every `slice` is one ranged
 * GET, so a reader that only needs the footer only fetches the footer. With `ifMatch`, every
 * GET is of that version only (StoreError `conflict` once the object is another).
 */
export function storeAsyncBuffer(
  store: ObjectStore,
  key: string,
  byteLength: number,
  ifMatch?: string,
): AsyncBuffer {
  return {
    byteLength,
    async slice(start: number, end: number = byteLength): Promise<ArrayBuffer> {
      const from = Math.max(0, start);
      const to = Math.min(byteLength, end);
      if (to <= from) return new ArrayBuffer(0);
      const range = { start: from, end: to };
      const bytes = await store.get(key, ifMatch === undefined ? { range } : { range, ifMatch });
      if (bytes.length !== to - from) {
        // The object is shorter than the size we were told (replaced or cut since): its end is not a footer.
        throw new ParquetError(
          'truncated',
          `Parquet file ${JSON.stringify(key)} is shorter than its stated ${byteLength} bytes: ` +
            `asked for bytes ${from}-${to}, got ${bytes.length}`,
          { details: { key, byteLength, from, to, got: bytes.length } },
        );
      }
      // Hand back exactly these bytes: a view may sit inside a larger pooled buffer.
      const copy = new Uint8Array(bytes.length);
      copy.set(bytes);
      return copy.buffer;
    },
  };
}

/** A hyparquet `AsyncBuffer` over bytes already in memory (a store may hand back a view into a larger buffer). */
export function memoryAsyncBuffer(bytes: Uint8Array): AsyncBuffer {
  // Stores return plain (non-shared) buffers.
  const buffer = bytes.buffer as ArrayBuffer;
  return {
    byteLength: bytes.length,
    slice: (start: number, end?: number) =>
      buffer.slice(bytes.byteOffset + start, bytes.byteOffset + (end ?? bytes.length)),
  };
}
