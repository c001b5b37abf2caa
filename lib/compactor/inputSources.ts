/**
 * The input files of a rewrite group as hyparquet byte sources, read ahead in order. Small
 * files are latency-bound (a GET costs about as much as decoding them), so several are fetched
 * while one is converted, within a count and a byte budget that keep memory bounded; a small
 * file whose bytes the footer pass already read is not fetched again.
 */
import type { AsyncBuffer } from 'hyparquet';
import { ParquetError } from '../parquet/parquetError.js';
import { memoryAsyncBuffer, storeAsyncBuffer } from '../parquet/storeAsyncBuffer.js';
import type { LiveFile } from '../registry/compactionState.js';
import type { ObjectStore } from '../store/objectStore.js';

/** Inputs up to this size are read with one GET (no bigger than a typical row group). */
const WHOLE_FILE_BYTES = 16 * 1024 * 1024;
/** Whole inputs fetched ahead of the one being converted: at most this many... */
const READ_AHEAD_FILES = 8;
/** ...and this many bytes (one input beyond it is still fetched when nothing else is ahead). */
const READ_AHEAD_BYTES = 32 * 1024 * 1024;
/** Bytes of small inputs the footer pass may keep for the rewrite (see `FooterBytes`). */
export const KEPT_INPUT_BYTES = 32 * 1024 * 1024;
/** hyparquet's first footer fetch: a file this small is read whole to get its footer. */
const FOOTER_FETCH_BYTES = 512 * 1024;

/**
 * Whole small inputs read by the footer pass, kept by file id up to `KEPT_INPUT_BYTES` and
 * handed over once: a small file's footer read (hyparquet's first fetch, 512 KiB) covers the
 * whole file anyway, so it is one GET of the whole object and the rewrite does not GET it again.
 */
export class FooterBytes {
  private readonly kept = new Map<number, ArrayBuffer>();
  private bytes = 0;

  /** The source the footer is read from: the whole file in memory when it is small. */
  async footerSource(store: ObjectStore, file: LiveFile): Promise<AsyncBuffer> {
    if (file.size > FOOTER_FETCH_BYTES) return storeAsyncBuffer(store, file.path, file.size);
    const bytes = await store.get(file.path);
    if (bytes.length !== file.size) {
      // Replaced or cut since it was registered: what the ranged footer read reports too.
      throw new ParquetError(
        'truncated',
        `Parquet file ${JSON.stringify(file.path)} has ${bytes.length} bytes, not its registered ${file.size}`,
        { details: { key: file.path, byteLength: file.size, got: bytes.length } },
      );
    }
    if (this.bytes + file.size <= KEPT_INPUT_BYTES) {
      this.kept.set(file.id, ownBuffer(bytes));
      this.bytes += file.size;
    }
    return memoryAsyncBuffer(bytes);
  }

  take(fileId: number): ArrayBuffer | undefined {
    const bytes = this.kept.get(fileId);
    if (bytes) {
      this.kept.delete(fileId);
      this.bytes -= bytes.byteLength;
    }
    return bytes;
  }
}

/** Hands out the group's inputs in order; `next` must be called once per file. */
export class InputSources {
  private readonly ahead: { size: number; source: Promise<AsyncBuffer> }[] = [];
  private started = 0;
  private aheadBytes = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly files: readonly LiveFile[],
    private readonly footerBytes: FooterBytes,
  ) {}

  next(): Promise<AsyncBuffer> {
    this.fill();
    const first = this.ahead.shift();
    if (!first) throw new Error('no input left to read');
    this.aheadBytes -= first.size;
    this.fill();
    return first.source;
  }

  /** Starts fetches up to the budget. */
  private fill(): void {
    while (this.started < this.files.length && this.ahead.length < READ_AHEAD_FILES) {
      const file = this.files[this.started]!;
      const kept = this.footerBytes.take(file.id);
      const size = kept || file.size > WHOLE_FILE_BYTES ? 0 : file.size;
      if (this.ahead.length > 0 && this.aheadBytes + size > READ_AHEAD_BYTES) return;
      const source = kept
        ? Promise.resolve(memoryAsyncBuffer(new Uint8Array(kept)))
        : sourceOf(this.store, file);
      // Its failure is only seen when awaited, after the files before it, so it is marked
      // handled now (an unhandled rejection would end the process meanwhile).
      source.catch(() => undefined);
      this.ahead.push({ size, source });
      this.aheadBytes += size;
      this.started++;
    }
  }
}

/** A small input in memory (one GET), a large one as ranged reads of its row groups. */
async function sourceOf(store: ObjectStore, file: LiveFile): Promise<AsyncBuffer> {
  if (file.size > WHOLE_FILE_BYTES) return storeAsyncBuffer(store, file.path, file.size);
  return memoryAsyncBuffer(await store.get(file.path));
}

/** The bytes as an ArrayBuffer of their own (a store may hand back a view into a larger one). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength)
    return bytes.buffer as ArrayBuffer;
  return bytes.slice().buffer;
}
