import { afterEach, describe, expect, it } from 'vitest';
import { readBatch } from '../../lib/astha/drain.js';
import { LookCoalescer, logPosition } from '../../lib/components/lookCoalescer.js';
import { ordersParquet } from '../registry/parquetFiles.js';
import { type Lake, openLake } from './lakeFixture.js';

let lake: Lake | undefined;
afterEach(() => {
  lake?.close();
  lake = undefined;
});

/** The ids of the log rows written so far (the log is left as it is). */
async function logIds(target: Lake): Promise<number[]> {
  return (await readBatch(target.registry.client, 1000)).map((row) => row.id);
}

describe('look coalescing by change-log position', () => {
  it("the log's position is its highest id, and stays there once the drainer deleted the rows", async () => {
    lake = await openLake('fs');
    expect(await logPosition(lake.registry.client)).toBe(0);
    await lake.land('sales/orders/data/a.parquet', ordersParquet(3));
    const ids = await logIds(lake);
    expect(ids.length).toBeGreaterThan(0);
    expect(await logPosition(lake.registry.client)).toBe(Math.max(...ids));
    await lake.events('compactor'); // drains and deletes the rows
    expect(await logIds(lake)).toEqual([]);
    expect(await logPosition(lake.registry.client)).toBe(Math.max(...ids));
  });

  it('a complete look covers the changes made before it began, not those after, nor other tables', async () => {
    lake = await openLake('fs');
    const looks = new LookCoalescer(lake.registry.client);
    await lake.land('sales/orders/data/a.parquet', ordersParquet(3));
    const before = await logIds(lake);
    let ran = 0;
    await looks.look(1, async () => {
      ran++;
      return true;
    });
    expect(ran).toBe(1);
    for (const id of before) expect(looks.seen(1, id)).toBe(true);
    expect(looks.seen(2, before[0]!)).toBe(false);

    await lake.land('sales/orders/data/b.parquet', ordersParquet(3, { firstId: 10 }));
    const after = (await logIds(lake)).filter((id) => !before.includes(id));
    expect(after.length).toBeGreaterThan(0);
    for (const id of after) expect(looks.seen(1, id)).toBe(false);
  });

  it('a look that reports work left, or fails, covers nothing', async () => {
    lake = await openLake('fs');
    const looks = new LookCoalescer(lake.registry.client);
    await lake.land('sales/orders/data/a.parquet', ordersParquet(3));
    const [id] = await logIds(lake);
    await looks.look(1, async () => false);
    expect(looks.seen(1, id!)).toBe(false);
    await expect(
      looks.look(1, async () => {
        throw new Error('registry went away');
      }),
    ).rejects.toThrow('registry went away');
    expect(looks.seen(1, id!)).toBe(false);
    await looks.look(1, async () => true);
    expect(looks.seen(1, id!)).toBe(true);
  });
});
