/**
 * A reader for the Thrift compact protocol that Parquet footers are written in, which lets the
 * caller pick the fields it needs and skips the rest without building objects for them (page
 * encoding stats, size histograms, key/value metadata...). That is most of a footer, and skipping
 * it makes decoding several times faster than materialising every field.
 *
 * Bounds are left to DataView: reading past the end throws a RangeError, which the footer
 * decoder reports as a corrupt footer.
 */

/** Compact protocol type ids (the low nibble of a field header). */
export const ThriftType = {
  Stop: 0,
  True: 1,
  False: 2,
  Byte: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  Double: 7,
  Binary: 8,
  List: 9,
  Set: 10,
  Map: 11,
  Struct: 12,
} as const;
export type ThriftType = number;

export class ThriftError extends Error {}

export class ThriftReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.offset;
  }

  /** Calls `field` for every field of the struct at the cursor; `field` must consume or skip it. */
  struct(field: (id: number, type: ThriftType) => void): void {
    let id = 0;
    for (;;) {
      const header = this.view.getUint8(this.offset++);
      const type = header & 0x0f;
      if (type === ThriftType.Stop) return;
      const delta = header >> 4;
      id = delta === 0 ? this.zigzag() : id + delta;
      field(id, type);
    }
  }

  /** Reads a list (or set) whose elements `element` consumes; returns what it returned. */
  list<T>(element: (type: ThriftType) => T): T[] {
    const header = this.view.getUint8(this.offset++);
    const size = header >> 4 === 15 ? this.varint() : header >> 4;
    const type = header & 0x0f;
    const out: T[] = [];
    for (let i = 0; i < size; i++) out.push(element(type));
    return out;
  }

  /** An i8/i16/i32/i64 of the given type as a JavaScript number (exact up to 2^53). */
  int(type: ThriftType): number {
    return type === ThriftType.Byte ? this.view.getInt8(this.offset++) : this.zigzag();
  }

  binary(): Uint8Array {
    const length = this.varint();
    const end = this.offset + length;
    if (end > this.bytes.length) {
      throw new ThriftError(`binary of ${length} bytes runs past the footer end`);
    }
    const value = this.bytes.subarray(this.offset, end);
    this.offset = end;
    return value;
  }

  /** A boolean field's value lives in its header type; a boolean list element is a byte. */
  bool(type: ThriftType, inList = false): boolean {
    if (inList) return this.view.getUint8(this.offset++) === 1;
    return type === ThriftType.True;
  }

  skip(type: ThriftType): void {
    switch (type) {
      case ThriftType.True:
      case ThriftType.False:
        return;
      case ThriftType.Byte:
        this.offset++;
        return;
      case ThriftType.I16:
      case ThriftType.I32:
      case ThriftType.I64:
        // Only consume the bytes: a skipped value may be any 64-bit integer.
        while (this.view.getUint8(this.offset++) & 0x80) {}
        return;
      case ThriftType.Double:
        this.offset += 8;
        return;
      case ThriftType.Binary:
        this.binary();
        return;
      case ThriftType.List:
      case ThriftType.Set:
        this.list((element) => this.skipElement(element));
        return;
      case ThriftType.Map: {
        const size = this.varint();
        if (size === 0) return;
        const types = this.view.getUint8(this.offset++);
        for (let i = 0; i < size; i++) {
          this.skipElement(types >> 4);
          this.skipElement(types & 0x0f);
        }
        return;
      }
      case ThriftType.Struct:
        this.struct((_, fieldType) => this.skip(fieldType));
        return;
      default:
        throw new ThriftError(`unknown Thrift type ${type} at byte ${this.offset}`);
    }
  }

  /** Inside lists and maps booleans take a byte. */
  private skipElement(type: ThriftType): void {
    if (type === ThriftType.True || type === ThriftType.False) this.offset++;
    else this.skip(type);
  }

  /** Unsigned LEB128, exact up to 2^53 (arithmetic rather than 32-bit bit operations). */
  private varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = this.view.getUint8(this.offset++);
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) break;
      scale *= 128;
      if (scale > 2 ** 63) throw new ThriftError(`varint longer than 10 bytes at byte ${this.offset}`);
    }
    if (result > Number.MAX_SAFE_INTEGER) throw new ThriftError(`integer ${result} is beyond 2^53`);
    return result;
  }

  private zigzag(): number {
    const value = this.varint();
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }
}
