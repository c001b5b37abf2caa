/**
 * Compaction of files written against older schemas, with the types hyparquet would lose if it
 * converted values (decimals of every width, millisecond timestamps, times, dates): the
 * outputs carry the table's current schema (a widened int, a column older files lack) and every
 * reader sees exactly the rows it saw before.
 */
import { parquetMetadataAsync } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactTable } from '../../lib/compactor/compactTable.js';
import { storeAsyncBuffer } from '../../lib/parquet/storeAsyncBuffer.js';
import { type CompactionLake, openCompactionLake, summaryOf } from './compactionLake.js';

type WriteOptions = Parameters<typeof parquetWriteBuffer>[0];
type Element = NonNullable<WriteOptions['schema']>[number];

/** A file of `rows` rows from `first`; `evolved` files hold `n` as INT64 and an extra column. */
function typedFile(first: number, rows: number, evolved: boolean): Uint8Array {
  const ids = Array.from({ length: rows }, (_, i) => first + i);
  const maybe = <T>(i: number, v: T) => (i % 5 === 3 ? null : v);
  const elements: Element[] = [
    { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
    { name: 'n', type: evolved ? 'INT64' : 'INT32', repetition_type: 'OPTIONAL' },
    {
      name: 'small',
      type: 'INT32',
      repetition_type: 'OPTIONAL',
      converted_type: 'DECIMAL',
      scale: 2,
      precision: 9,
    },
    {
      name: 'price',
      type: 'INT64',
      repetition_type: 'OPTIONAL',
      converted_type: 'DECIMAL',
      scale: 2,
      precision: 18,
    },
    {
      name: 'big',
      type: 'FIXED_LEN_BYTE_ARRAY',
      type_length: 16,
      repetition_type: 'OPTIONAL',
      converted_type: 'DECIMAL',
      scale: 4,
      precision: 38,
    },
    { name: 'day', type: 'INT32', repetition_type: 'OPTIONAL', converted_type: 'DATE' },
    { name: 'at', type: 'INT64', repetition_type: 'OPTIONAL', converted_type: 'TIMESTAMP_MILLIS' },
    { name: 'clock', type: 'INT64', repetition_type: 'OPTIONAL', converted_type: 'TIME_MICROS' },
    { name: 'label', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8' },
  ];
  const columnData: WriteOptions['columnData'] = [
    { name: 'id', data: ids.map(BigInt) },
    { name: 'n', data: ids.map((id, i) => maybe(i, evolved ? BigInt(id) * 3_000_000_000n : -id)) },
    { name: 'small', data: ids.map((id, i) => maybe(i, BigInt(id * 101 - 5000))) },
    { name: 'price', data: ids.map((id, i) => maybe(i, 123_456_789_012_345n * BigInt(id % 50) - 7n)) },
    { name: 'big', data: ids.map((id, i) => maybe(i, -(10n ** 35n) + BigInt(id) * 99_999_999_999_999_999n)) },
    { name: 'day', data: ids.map((id, i) => maybe(i, id * 37 - 20_000)) },
    { name: 'at', data: ids.map((id, i) => maybe(i, BigInt(id) * 86_400_123n - 2_000_000_000_000n)) },
    { name: 'clock', data: ids.map((id, i) => maybe(i, (BigInt(id) * 1_234_567_891n) % 86_400_000_000n)) },
    { name: 'label', data: ids.map((id, i) => maybe(i, `label ${id} ✓`)) },
  ];
  if (evolved) {
    elements.push({ name: 'extra', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8' });
    columnData.push({ name: 'extra', data: ids.map((id) => `x${id}`) });
  }
  const schema: Element[] = [{ name: 'schema', num_children: elements.length }, ...elements];
  return new Uint8Array(parquetWriteBuffer({ columnData, schema, rowGroupSize: 7 }));
}

describe('compaction keeps exact values across schema evolution', () => {
  let lake: CompactionLake;
  beforeAll(async () => {
    lake = await openCompactionLake();
  });
  afterAll(() => lake?.close());

  it('older files get nulls for new columns, widened ints, exact decimals and timestamps', async () => {
    for (let i = 0; i < 6; i++) {
      const outcome = await lake.land(
        // The file's own `day` column holds many dates: the partition is a column of its own.
        `ns/typed/data/batch=b${1 + (i % 2)}/f${i}.parquet`,
        typedFile(i * 100, 23, i >= 3),
      );
      expect(outcome.status).toBe('registered');
      await lake.deliver(lake.updater);
    }
    const row = await lake.registry.tableByName('ns', 'typed');
    const before = await lake.read('ns', 'typed');
    const baseline = summaryOf(before[0]!);
    expect(baseline).toMatchObject({ rows: 138 });
    expect(summaryOf(before[1]!)).toEqual(baseline);
    const schema = before[0]!.schema!;
    expect(schema.find((c) => c.name === 'n')?.type).toBe('long');
    expect(schema.find((c) => c.name === 'extra')).toBeDefined();

    // Two partitions of three files each; a low threshold makes both compact.
    await lake.registry.client.execute({
      sql: `UPDATE table_metadata SET properties_json = json_set(properties_json,
              '$."astha.compaction.min-input-files"', '3', '$."write.parquet.compression-codec"', 'gzip')
            WHERE table_id = ?`,
      args: [row!.id],
    });
    const report = await compactTable(row!.id, { registry: lake.registry, store: lake.store });
    expect(report.groups.map((g) => [g.partitionPath, g.inputFiles, g.outputFiles]).sort()).toEqual([
      ['batch=b1', 3, 1],
      ['batch=b2', 3, 1],
    ]);
    const after = await lake.read('ns', 'typed');
    expect(summaryOf(after[0]!)).toEqual(baseline);
    expect(summaryOf(after[1]!)).toEqual(baseline);
    expect(after[2]!.violations).toEqual([]);
    expect(after[0]!.planned_files).toBe(2);
    // Outputs follow the table's codec and carry the table's field ids.
    const outputs = await lake.registry.client.execute(
      "SELECT path, size FROM table_files WHERE astha_written = 1 AND iceberg_state = 'committed'",
    );
    expect(outputs.rows).toHaveLength(2);
    for (const output of outputs.rows) {
      const footer = await parquetMetadataAsync(
        storeAsyncBuffer(lake.store, String(output.path), Number(output.size)),
      );
      const codecs = new Set(footer.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)));
      expect([...codecs]).toEqual(['GZIP']);
      expect(footer.schema.slice(1).map((e) => e.field_id)).toEqual(expect.arrayContaining([1, 2, 3]));
    }
  }, 60_000);
});
