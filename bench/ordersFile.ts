/** The small Parquet file the benchmarks land: `rows` orders (id, customer, amount) from `firstId`. */
import { parquetWriteBuffer } from 'hyparquet-writer';

export function ordersFile(firstId: number, rows = 20): Uint8Array {
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        {
          name: 'id',
          data: BigInt64Array.from({ length: rows }, (_, i) => BigInt(firstId + i)),
          type: 'INT64',
        },
        {
          name: 'customer',
          data: Array.from({ length: rows }, (_, i) => `c${(firstId + i) % 97}`),
          type: 'STRING',
        },
        { name: 'amount', data: Array.from({ length: rows }, (_, i) => i * 1.25), type: 'DOUBLE' },
      ],
    }),
  );
}
