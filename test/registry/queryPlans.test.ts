import type { InStatement } from '@libsql/client';
import { afterEach, describe, expect, it } from 'vitest';
import { createIcebergUpdater } from '../../lib/components/icebergUpdater.js';
import { silentLogger } from '../../lib/log.js';
import { retractedOutputs } from '../../lib/registry/compactionLineage.js';
import { notLive } from '../../lib/registry/compactionState.js';
import { removedStillInTable, replacedBy } from '../../lib/registry/removalState.js';
import { type Lake, openLake } from '../components/lakeFixture.js';
import { ordersParquet } from './parquetFiles.js';

let lake: Lake | undefined;
afterEach(() => {
  lake?.close();
  lake = undefined;
});

/** The query plans (EXPLAIN QUERY PLAN details) of the statements `work` sends to the registry. */
async function plansOf(target: Lake, work: () => Promise<unknown>): Promise<string[]> {
  const client = target.registry.client;
  const sent: InStatement[] = [];
  const execute = client.execute.bind(client);
  Object.assign(client, {
    execute: (statement: InStatement) => {
      sent.push(statement);
      return execute(statement);
    },
  });
  try {
    await work();
  } finally {
    Object.assign(client, { execute });
  }
  const plans: string[] = [];
  for (const statement of sent) {
    const { sql, args } = typeof statement === 'string' ? { sql: statement, args: [] } : statement;
    const plan = await client.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args: args ?? [] });
    plans.push(plan.rows.map((row) => String(row.detail)).join('\n'));
  }
  return plans;
}

describe('lookups made on every commit or compaction look', () => {
  it('read through their own indexes, not every file of the table', async () => {
    lake = await openLake('fs');
    for (let i = 0; i < 3; i++)
      await lake.land(`sales/orders/data/f${i}.parquet`, ordersParquet(2, { firstId: i * 10 }));
    await lake.deliver(
      createIcebergUpdater({ registry: lake.registry, store: lake.store, logger: silentLogger() }),
    );
    const table = await lake.registry.tableByName('sales', 'orders');
    const tableId = table!.id;

    const [live] = await plansOf(lake, () =>
      notLive(lake!.registry.client, tableId, ['file:///a', 'file:///b']),
    );
    expect(live).toContain('table_files_by_uri');
    const [removed] = await plansOf(lake, () => removedStillInTable(lake!.registry.client, tableId));
    expect(removed).toContain('table_files_removal_uncommitted');
    const [retracted] = await plansOf(lake, () => retractedOutputs(lake!.registry.client, tableId));
    expect(retracted).toContain('table_files_retracted');
    const [replaced] = await plansOf(lake, () => replacedBy(lake!.registry.client, tableId, '42'));
    // From the claim's files to older versions of their keys, not from every removed file.
    expect(String(replaced).split('\n')[0]).toMatch(/^SEARCH n USING INDEX table_files_by_state/);
    expect(replaced).toMatch(
      /SEARCH f USING INDEX sqlite_autoindex_table_files_\d+ \(table_id=\? AND path=\?/,
    );
    for (const plan of [live, removed, retracted, replaced])
      expect(plan).not.toMatch(/SCAN (f|n|o|s|table_files)\b/);
  });
});
