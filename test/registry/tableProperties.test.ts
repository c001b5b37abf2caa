/**
 * Table properties have one source of truth, the registry: a change made while no runtime runs
 * (`astha properties --unset`) is what `astha compact` acts on, and the next commit astha makes
 * brings the Iceberg table's copy in line. Values are checked against the known keys.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compactionPlan } from '../../lib/compactor/compactionPlan.js';
import { compactTable } from '../../lib/compactor/compactTable.js';
import { createIcebergUpdater } from '../../lib/components/icebergUpdater.js';
import { createMetadataOrchestrator } from '../../lib/components/metadataOrchestrator.js';
import { silentLogger } from '../../lib/log.js';
import { propertyProblem, updateTableProperties } from '../../lib/registry/tableProperties.js';
import { type Lake, openLake } from '../components/lakeFixture.js';
import { readTables } from '../conformance/readers.js';
import { ordersParquet } from './parquetFiles.js';

let lake: Lake | undefined;
afterEach(() => {
  lake?.close();
  lake = undefined;
});

describe('table properties', () => {
  it('an unset made while nothing runs is what compaction acts on, and the next commit syncs the table', async () => {
    lake = await openLake('fs');
    const deps = { registry: lake.registry, store: lake.store, logger: silentLogger() };
    const orchestrator = createMetadataOrchestrator(deps);
    const updater = createIcebergUpdater(deps);
    for (let i = 0; i < 5; i++)
      await lake.land(`sales/orders/data/a${i}.parquet`, ordersParquet(4, { firstId: i * 10 }));
    const table = (await lake.registry.tableByName('sales', 'orders'))!;
    await updateTableProperties(lake.registry.client, table.id, { 'astha.compaction.enabled': 'false' });
    await lake.deliver(orchestrator, updater);
    expect((await lake.iceberg('sales', 'orders'))?.metadata.properties['astha.compaction.enabled']).toBe(
      'false',
    );

    // `astha properties sales.orders --unset astha.compaction.enabled`, no runtime to deliver it.
    await updateTableProperties(lake.registry.client, table.id, {}, ['astha.compaction.enabled']);
    await lake.events('metadata_orchestrator');
    const plan = await compactionPlan(table.id, deps);
    expect(plan.policy?.enabled).toBe(true);
    expect(plan.groups).toHaveLength(1);
    const report = await compactTable(table.id, deps);
    expect(report.groups.map((g) => g.inputFiles)).toEqual([5]);

    // The next append (the updater alone: still no orchestrator) brings the table's copy in line.
    await lake.land('sales/orders/data/b.parquet', ordersParquet(3, { firstId: 100 }));
    await lake.deliver(updater);
    const after = await lake.iceberg('sales', 'orders');
    expect(after?.metadata.properties).not.toHaveProperty('astha.compaction.enabled');
    const [read] = await readTables([{ mode: 'pyiceberg', metadata: after!.metadataLocation }]);
    expect(read?.error ?? read?.rows).toBe(23);
  });

  it('new tables no longer carry the stale astha.commit.policy', async () => {
    lake = await openLake('fs');
    await lake.land('sales/orders/data/a.parquet', ordersParquet(2));
    const table = (await lake.registry.tableByName('sales', 'orders'))!;
    const properties = await updateTableProperties(lake.registry.client, table.id, {});
    expect(properties).toEqual({ 'write.format.default': 'parquet' });
  });

  it.each([
    ['astha.commit.min-files', 'abc', /astha\.commit\.min-files must be a positive integer, not "abc"/],
    ['history.expire.max-snapshot-age-ms', '-5', /must be a non-negative integer, not "-5"/],
    ['astha.compaction.small-file-fraction', '1.5', /fraction in \(0, 1\]/],
    ['astha.compaction.enabled', 'yes', /astha\.compaction\.enabled must be true or false, not "yes"/],
    ['write.parquet.compression-codec', 'zip', /compression codec/],
    [
      'astha.comit.min-files',
      '5',
      /unknown astha property astha\.comit\.min-files \(did you mean astha\.commit\.min-files\?\)/,
    ],
    ['astha.commit.policy', 'files:10', /unknown astha property astha\.commit\.policy/],
    ['format-version', '3', /format-version is reserved/],
    ['schema.name-mapping.default', '[]', /is reserved/],
  ])('%s=%s is refused', (key, value, reason) => {
    expect(propertyProblem(key, value)).toMatch(reason);
  });

  it.each([
    ['astha.commit.min-files', '5'],
    ['astha.commit.max-age-seconds', '2.5'],
    ['history.expire.max-snapshot-age-ms', '0'],
    ['astha.compaction.small-file-fraction', '0.5'],
    ['write.parquet.compression-codec', 'ZSTD'],
    ['owner', 'data-team'],
  ])('%s=%s is accepted', (key, value) => {
    expect(propertyProblem(key, value)).toBeUndefined();
  });

  it('refuses a whole change with every problem named, and removes a stale key on request', async () => {
    lake = await openLake('fs');
    await lake.land('sales/orders/data/a.parquet', ordersParquet(2));
    const table = (await lake.registry.tableByName('sales', 'orders'))!;
    await expect(
      updateTableProperties(lake.registry.client, table.id, {
        'astha.commit.min-files': '0',
        'format-version': '3',
      }),
    ).rejects.toThrow(/min-files must be a positive integer.*; format-version is reserved/);
    await expect(
      updateTableProperties(lake.registry.client, table.id, {}, ['format-version']),
    ).rejects.toThrow(/reserved/);
    // A key astha no longer knows can still be removed.
    expect(propertyProblem('astha.commit.policy')).toBeUndefined();
  });
});
