/**
 * A small partitioned sample table for the embedded default, so a first `npm start` shows a
 * committed Iceberg table within seconds: `demo.trips`, three days of taxi-like trips.
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ObjectStore } from '../store/objectStore.js';

export const SAMPLE_TABLE = { namespace: 'demo', table: 'trips' } as const;
const CITIES = ['Lisbon', 'Zürich', 'São Paulo', 'Kyoto', 'Nairobi'];

function tripsFile(day: string, firstId: number, rows: number): Uint8Array {
  const start = Date.parse(`${day}T06:00:00Z`);
  const ids = BigInt64Array.from({ length: rows }, (_, i) => BigInt(firstId + i));
  const distance = Array.from({ length: rows }, (_, i) => Math.round(((i * 37) % 250) + 5) / 10);
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: 'trip_id', data: ids, type: 'INT64', nullable: false },
        {
          name: 'city',
          data: Array.from({ length: rows }, (_, i) => CITIES[i % CITIES.length]!),
          type: 'STRING',
        },
        { name: 'distance_km', data: distance, type: 'DOUBLE' },
        {
          name: 'fare',
          data: distance.map((d, i) => (i % 17 === 0 ? null : Math.round(d * 180 + 250) / 100)),
          type: 'DOUBLE',
        },
        {
          name: 'started_at',
          data: Array.from({ length: rows }, (_, i) => new Date(start + i * 97_000)),
          type: 'TIMESTAMP',
        },
      ],
    }),
  );
}

/** Writes the sample files; returns their keys. */
export async function writeSampleData(store: ObjectStore, days = 3, rowsPerFile = 200): Promise<string[]> {
  const keys: string[] = [];
  for (let d = 0; d < days; d++) {
    const day = new Date(Date.UTC(2026, 10, 24 + d)).toISOString().slice(0, 10);
    const key = `${SAMPLE_TABLE.namespace}/${SAMPLE_TABLE.table}/data/day=${day}/part-00000.parquet`;
    await store.put(key, tripsFile(day, d * rowsPerFile + 1, rowsPerFile));
    keys.push(key);
  }
  return keys;
}

/** True when the store holds no data file at all (a fresh warehouse). */
export async function isEmptyWarehouse(store: ObjectStore): Promise<boolean> {
  for await (const object of store.list('')) {
    if (object.key.endsWith('.parquet')) return false;
  }
  return true;
}
