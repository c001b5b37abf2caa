/**
 * Parquet files for registry tests, written with hyparquet-writer, and broken copies of them.
 */
import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer';

export function parquetBytes(columns: ColumnSource[]): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({ columnData: columns }));
}

/** `id` long, `customer` string, `amount` double; `extra` adds more columns named c<i> (ints). */
export function ordersParquet(
  rows: number,
  options: { firstId?: number; extraColumns?: string[] } = {},
): Uint8Array {
  const first = options.firstId ?? 1;
  const ids = BigInt64Array.from({ length: rows }, (_, i) => BigInt(first + i));
  const columns: ColumnSource[] = [
    { name: 'id', data: ids, type: 'INT64', nullable: false },
    { name: 'customer', data: Array.from({ length: rows }, (_, i) => `c${i % 3}`), type: 'STRING' },
    {
      name: 'amount',
      data: Array.from({ length: rows }, (_, i) => (i % 4 === 0 ? null : i * 1.5)),
      type: 'DOUBLE',
    },
  ];
  for (const name of options.extraColumns ?? []) {
    columns.push({ name, data: Int32Array.from({ length: rows }, (_, i) => i), type: 'INT32' });
  }
  return parquetBytes(columns);
}

/** A file whose `id` is a string: incompatible with a table where `id` is a long. */
export function stringIdParquet(): Uint8Array {
  return parquetBytes([{ name: 'id', data: ['a', 'b'], type: 'STRING' }]);
}

/** An unsigned 64-bit column: no lossless Iceberg type. */
export function uint64Parquet(): Uint8Array {
  const buffer = parquetWriteBuffer({
    columnData: [{ name: 'u', data: BigUint64Array.from([1n, 2n]) }],
    // hyparquet-writer writes UINT_64 only when the schema says so.
    schema: [
      { name: 'root', num_children: 1 },
      {
        name: 'u',
        type: 'INT64',
        repetition_type: 'OPTIONAL',
        converted_type: 'UINT_64',
        logical_type: { type: 'INTEGER', bitWidth: 64, isSigned: false },
      },
    ],
  });
  return new Uint8Array(buffer);
}

/** A wide file: `columns` int columns named c1..cN. */
export function wideParquet(columns: number, rows = 10): Uint8Array {
  return parquetBytes(
    Array.from({ length: columns }, (_, c) => ({
      name: `c${c + 1}`,
      data: Int32Array.from({ length: rows }, (_, i) => i * (c + 1)),
      type: 'INT32' as const,
    })),
  );
}

export const broken = {
  truncated(good: Uint8Array): Uint8Array {
    return good.slice(0, Math.floor(good.length / 2));
  },
  wrongMagic(good: Uint8Array): Uint8Array {
    const bytes = good.slice();
    bytes.set([0x58, 0x58, 0x58, 0x58], bytes.length - 4);
    bytes.set([0x58, 0x58, 0x58, 0x58], 0);
    return bytes;
  },
  /** The 4-byte footer length before the trailing magic claims more bytes than the file has. */
  footerPastFile(good: Uint8Array): Uint8Array {
    const bytes = good.slice();
    new DataView(bytes.buffer).setUint32(bytes.length - 8, bytes.length * 10, true);
    return bytes;
  },
};
