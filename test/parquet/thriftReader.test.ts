import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectFooter } from '../../lib/parquet/inspectParquet.js';
import { ParquetError } from '../../lib/parquet/parquetError.js';
import { decodeFooter } from '../../lib/parquet/parquetFooter.js';
import { ThriftReader, ThriftType } from '../../lib/parquet/thriftReader.js';

// A struct in the compact protocol with one field of every type; hand-encoded from the spec
// (field header = delta << 4 | type; ints are zigzag varints).
const everyType = Uint8Array.from(
  Buffer.from(
    [
      '15 0a', // 1: i32 5
      '11', // 2: bool true (in the header)
      '17 000000000000f03f', // 3: double 1.0
      '18 02 6162', // 4: binary "ab"
      '19 26 02 01', // 5: list<i64> [1, -1]
      '1b 01 85 01 6b 06', // 6: map<binary, i32> {"k": 3}
      '1a 21 01 02', // 7: set<bool> {true, false}
      '1c 13 fd 00', // 8: struct { 1: i8 -3 }
      '05 28 0e', // 20 (long form, delta 0): i32 7
      '16 ffffffffffffffffff01', // 21: i64 -2^63 (skipped)
      '00',
    ]
      .join('')
      .replaceAll(' ', ''),
    'hex',
  ),
);

describe('ThriftReader', () => {
  it('reads the fields asked for and skips every other type', () => {
    const r = new ThriftReader(everyType);
    const seen: Array<[number, number]> = [];
    let inner: number | undefined;
    let twenty: number | undefined;
    let list: number[] = [];
    r.struct((id, type) => {
      seen.push([id, type]);
      if (id === 20) twenty = r.int(type);
      else if (id === 5) list = r.list((t) => r.int(t));
      else if (id === 8) r.struct((_, t) => (inner = r.int(t)));
      else r.skip(type);
    });
    expect(seen).toEqual([
      [1, ThriftType.I32],
      [2, ThriftType.True],
      [3, ThriftType.Double],
      [4, ThriftType.Binary],
      [5, ThriftType.List],
      [6, ThriftType.Map],
      [7, ThriftType.Set],
      [8, ThriftType.Struct],
      [20, ThriftType.I32],
      [21, ThriftType.I64],
    ]);
    expect([twenty, inner, list]).toEqual([7, -3, [1, -1]]);
  });

  it('runs out of bytes loudly and refuses unknown types', () => {
    const skipAll = (bytes: Uint8Array) => () => {
      const r = new ThriftReader(bytes);
      r.struct((_, type) => r.skip(type));
    };
    expect(skipAll(everyType)).not.toThrow();
    for (const cut of [1, 5, 12, 20, 30, everyType.length - 1])
      expect(skipAll(everyType.subarray(0, cut))).toThrow();
    expect(skipAll(Uint8Array.of(0x1d, 0x00))).toThrow(/unknown Thrift type 13/);
    expect(skipAll(Uint8Array.of(0x18, 0x09, 0x61, 0x00))).toThrow(
      /binary of 9 bytes runs past the footer end/,
    );
  });

  it('a footer of garbage is a corrupt footer, never another exception', () => {
    let seed = 7;
    for (let i = 0; i < 300; i++) {
      const bytes = Uint8Array.from({ length: 1 + (i % 97) }, () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed & 0xff;
      });
      expect(() => decodeFooter(bytes)).toThrow(/corrupt Parquet footer/);
    }
  });
});

describe('damaged real footers', () => {
  it('every single-byte corruption of a pyarrow footer is inspected or refused with a ParquetError', () => {
    const file = new Uint8Array(
      readFileSync(join(import.meta.dirname, '..', 'fixtures', 'parquet', 'nested.parquet')),
    );
    const length = Buffer.from(file).readUInt32LE(file.length - 8);
    const footer = file.slice(file.length - 8 - length, file.length - 8);
    let refused = 0;
    for (let position = 0; position < footer.length; position++) {
      for (const flip of [0x01, 0xff]) {
        const damaged = footer.slice();
        damaged[position]! ^= flip;
        try {
          inspectFooter(decodeFooter(damaged), file.length);
        } catch (error) {
          if (!(error instanceof ParquetError))
            throw new Error(`byte ${position} ^ ${flip}: ${String(error)}`);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(0);
  });
});
