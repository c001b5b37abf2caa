/**
 * A forward-moving window over a byte range of a file, for reading it once from start to end
 * with bounded memory: bytes are fetched in ranged reads of `windowBytes` (one read ahead while
 * the caller works on the current one), and only the current window and the next are held.
 */

/** Reads bytes [start, end) of the file. */
export type ReadRange = (start: number, end: number) => Promise<Uint8Array>;

export class StreamWindow {
  private buffer: Uint8Array = new Uint8Array(0);
  private bufferStart = 0;
  private ahead: { start: number; bytes: Promise<Uint8Array> } | undefined;
  /** Bytes fetched so far (the cost of the walk). */
  fetched = 0;

  /** `end` is the first byte never read (reads are clipped to it). */
  constructor(
    private readonly read: ReadRange,
    private readonly end: number,
    private readonly windowBytes: number,
  ) {}

  /** Bytes [offset, offset + length) as a view valid until the next call; `offset` never moves back. */
  async bytes(offset: number, length: number): Promise<Uint8Array> {
    const bufferEnd = this.bufferStart + this.buffer.length;
    if (offset >= this.bufferStart && offset + length <= bufferEnd) {
      return this.buffer.subarray(offset - this.bufferStart, offset - this.bufferStart + length);
    }
    if (offset + length > this.end)
      throw new RangeError(`bytes ${offset}-${offset + length} are past ${this.end}`);
    // Keep what is still needed of the current window, fetch the rest (at least one window).
    const kept =
      offset < bufferEnd && offset >= this.bufferStart
        ? this.buffer.subarray(offset - this.bufferStart)
        : undefined;
    const from = kept ? bufferEnd : offset;
    const to = Math.min(this.end, Math.max(offset + length, from + this.windowBytes));
    const fresh = await this.fetch(from, to);
    this.buffer = kept ? concat(kept, fresh) : fresh;
    this.bufferStart = offset;
    this.readAhead(from + fresh.length);
    return this.buffer.subarray(0, length);
  }

  /** Uses the read made ahead when it starts where this one does, else reads now. */
  private async fetch(from: number, to: number): Promise<Uint8Array> {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (ahead?.start === from) {
      const bytes = await ahead.bytes;
      if (from + bytes.length >= to) return bytes;
      const rest = await this.counted(from + bytes.length, to);
      return concat(bytes, rest);
    }
    ahead?.bytes.catch(() => undefined);
    return this.counted(from, to);
  }

  private readAhead(from: number): void {
    if (from >= this.end) return;
    const bytes = this.counted(from, Math.min(this.end, from + this.windowBytes));
    // Seen only when the walk gets there: marked handled so an early end does not crash.
    bytes.catch(() => undefined);
    this.ahead = { start: from, bytes };
  }

  private async counted(from: number, to: number): Promise<Uint8Array> {
    const bytes = await this.read(from, to);
    this.fetched += bytes.length;
    return bytes;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
