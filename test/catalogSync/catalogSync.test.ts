/**
 * catalog_sync against a Glue emulator (moto on 127.0.0.1) with data and metadata on LocalStack
 * S3: astha commits, the registry's own change events wake the component, and PyIceberg's Glue
 * catalog finds each table by name and reads exactly what pyarrow wrote. Conflicts, foreign
 * tables, throttling and denied access are injected by the emulator's proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentLogic } from '../../lib/components/component.js';
import { silentLogger } from '../../lib/log.js';
import { landAndCommit } from '../conformance/astha.js';
import { addSummaries, type FileSpec, type Summary, writeFiles } from '../conformance/readers.js';
import { openWarehouse, type Warehouse } from '../conformance/warehouse.js';
import { glueRequest, type GlueEmulator, startGlueEmulator } from '../harness/glueEmulator.js';
import { DATABASE_PREFIX, catalogSyncOn, feedChanges, motoTable, readThroughGlue } from './glueHarness.js';

const DB = `${DATABASE_PREFIX}gs`;

let emulator: GlueEmulator;
let warehouse: Warehouse;
let component: ComponentLogic;
let logId = 0;
/** What pyarrow wrote into each table so far. */
const written = new Map<string, Summary[]>();

const simple = (table: string, seeds: number[], namespace = 'gs'): FileSpec[] =>
  seeds.map((seed) => ({
    dir: `${namespace}/${table}/data`,
    name: `s-${seed}.parquet`,
    profile: 'simple',
    rows: 10,
    seed,
  }));

/** Writes, lands and commits files, then lets catalog_sync see the changes. */
async function commitFiles(table: string, files: FileSpec[], namespace = 'gs'): Promise<void> {
  const report = await writeFiles(warehouse.stage, files);
  written.set(table, [...(written.get(table) ?? []), report.total]);
  await landAndCommit(
    warehouse,
    namespace,
    table,
    report.files.map((f) => f.path),
  );
  logId = await feedChanges(warehouse.registry, component, logId);
}

async function registryPointer(table: string, namespace = 'gs') {
  const row = await warehouse.registry.tableByName(namespace, table);
  return { location: row!.metadata_location!, version: row!.metadata_version!, id: row!.id };
}

/** Another writer's UpdateTable straight on moto (no VersionId): `parameters` over the current ones. */
async function concurrentUpdate(database: string, name: string, parameters: Record<string, string>) {
  const table = (await motoTable(emulator, database, name))!;
  await glueRequest(emulator.motoEndpoint, 'UpdateTable', {
    DatabaseName: database,
    TableInput: {
      Name: name,
      TableType: table.TableType,
      StorageDescriptor: table.StorageDescriptor,
      Parameters: { ...table.Parameters, ...parameters },
    },
  });
}

async function readOne(table: string) {
  const [read] = await readThroughGlue(emulator, warehouse.s3!, [{ database: DB, table }]);
  expect(read?.error).toBeUndefined();
  return read!;
}

beforeAll(async () => {
  emulator = await startGlueEmulator();
  warehouse = await openWarehouse('s3');
  component = catalogSyncOn(emulator, warehouse.registry, silentLogger());
}, 60_000);

afterAll(async () => {
  warehouse?.close();
  await emulator?.stop();
});

describe('catalog_sync keeps Glue in step with commits', () => {
  it('creates the Glue database and table at the first commit; PyIceberg loads it by name and reads what was written', {
    timeout: 60_000,
  }, async () => {
    await commitFiles('orders', simple('orders', [1, 2]));
    const pointer = await registryPointer('orders');
    const table = await motoTable(emulator, DB, 'orders');
    expect(table?.TableType).toBe('EXTERNAL_TABLE');
    expect(table?.Parameters).toMatchObject({
      table_type: 'ICEBERG',
      metadata_location: pointer.location,
      'astha.metadata_version': String(pointer.version),
    });
    expect(table?.Parameters.previous_metadata_location).toBeUndefined();
    expect(table?.StorageDescriptor?.Location).toBe(pointer.location.replace(/\/metadata\/[^/]+$/, ''));
    expect(table?.StorageDescriptor?.Columns.length).toBeGreaterThan(0);
    const read = await readOne('orders');
    expect(read.metadata_location).toBe(pointer.location);
    expect({ rows: read.rows, checksum: read.checksum }).toEqual(addSummaries(written.get('orders')!));
  });

  it('moves metadata_location at the next commit (previous_metadata_location is the one before) and follows a schema change', {
    timeout: 60_000,
  }, async () => {
    const before = await registryPointer('orders');
    const columnsBefore = (await motoTable(emulator, DB, 'orders'))?.StorageDescriptor?.Columns.length ?? 0;
    // `types_utc` adds many columns: the registry evolves the schema, the commit carries it.
    await commitFiles('orders', [
      { dir: 'gs/orders/data', name: 'wide.parquet', profile: 'types_utc', rows: 8, seed: 77 },
    ]);
    const after = await registryPointer('orders');
    expect(after.version).toBeGreaterThan(before.version);
    const table = await motoTable(emulator, DB, 'orders');
    expect(table?.Parameters.metadata_location).toBe(after.location);
    expect(table?.Parameters.previous_metadata_location).toBe(before.location);
    const read = await readOne('orders');
    const glueColumns = table?.StorageDescriptor?.Columns.map((c) => c.Name) ?? [];
    expect(glueColumns.length).toBeGreaterThan(columnsBefore);
    expect(glueColumns).toEqual(read.schema?.map((c) => c.name.toLowerCase()));
    expect({ rows: read.rows, checksum: read.checksum }).toEqual(addSummaries(written.get('orders')!));
  });

  it('loses an UpdateTable race (stale VersionId), reads again and keeps what the other writer added', {
    timeout: 60_000,
  }, async () => {
    let raced = false;
    emulator.beforeUpdate = async (database, name) => {
      if (raced) return;
      raced = true;
      // Someone else (a console user tagging the table) updates it between our read and write.
      await concurrentUpdate(database, name, { team: 'sales' });
    };
    emulator.resetCounts();
    await commitFiles('orders', simple('orders', [3]));
    emulator.beforeUpdate = undefined;
    expect(raced).toBe(true);
    // The first UpdateTable was refused; the second, on a fresh read, went through.
    expect(emulator.counts.get('UpdateTable')).toBe(2);
    const pointer = await registryPointer('orders');
    const table = await motoTable(emulator, DB, 'orders');
    expect(table?.Parameters).toMatchObject({ metadata_location: pointer.location, team: 'sales' });
    const read = await readOne('orders');
    expect({ rows: read.rows, checksum: read.checksum }).toEqual(addSummaries(written.get('orders')!));
  });

  it('never moves metadata_location backwards: a Glue table already at a later version is left as it is', {
    timeout: 60_000,
  }, async () => {
    await commitFiles('history', simple('history', [10]));
    const pointer = await registryPointer('history');
    const later = pointer.location.replace(/[^/]+$/, 'from-a-later-sync.metadata.json');
    emulator.beforeUpdate = async (database, name) => {
      emulator.beforeUpdate = undefined;
      await concurrentUpdate(database, name, {
        metadata_location: later,
        'astha.metadata_version': String(pointer.version + 100),
      });
    };
    await commitFiles('history', simple('history', [11]));
    expect(emulator.beforeUpdate).toBeUndefined();
    expect((await motoTable(emulator, DB, 'history'))?.Parameters.metadata_location).toBe(later);
  });

  it('leaves a foreign Glue table of the same name alone and reports it in health', {
    timeout: 60_000,
  }, async () => {
    const foreign = {
      Name: 'legacy',
      TableType: 'EXTERNAL_TABLE',
      Parameters: { classification: 'csv' },
      StorageDescriptor: { Location: 's3://elsewhere/legacy/', Columns: [{ Name: 'line', Type: 'string' }] },
    };
    await glueRequest(emulator.motoEndpoint, 'CreateTable', { DatabaseName: DB, TableInput: foreign });
    emulator.resetCounts();
    await commitFiles('legacy', simple('legacy', [5]));
    expect(emulator.counts.get('GetTable')).toBeGreaterThan(0);
    expect(emulator.counts.get('UpdateTable') ?? 0).toBe(0);
    expect(emulator.counts.get('CreateTable') ?? 0).toBe(0);
    const table = await motoTable(emulator, DB, 'legacy');
    expect(table?.Parameters).toEqual({ classification: 'csv' });
    const health = await component.onHealth();
    expect(health.healthy).toBe(false);
    expect(health.detail).toContain(`${DB}.legacy`);
  });
});

describe('catalog_sync under Glue faults and drops', () => {
  it('retries a throttled UpdateTable with backoff until it goes through', { timeout: 60_000 }, async () => {
    emulator.failNext('UpdateTable', 'ThrottlingException', 2);
    emulator.resetCounts();
    await commitFiles('orders', simple('orders', [6]));
    expect(emulator.counts.get('UpdateTable')).toBe(3);
    const pointer = await registryPointer('orders');
    expect((await motoTable(emulator, DB, 'orders'))?.Parameters.metadata_location).toBe(pointer.location);
  });

  it('denied access is logged and shown in health, with one request per change rather than a retry storm', {
    timeout: 60_000,
  }, async () => {
    emulator.failNext('GetTable', 'AccessDeniedException', 100);
    emulator.resetCounts();
    await commitFiles('audit', simple('audit', [20]));
    emulator.clearFaults();
    // One GetTable per metadata pointer move (the table's first version, then its first
    // snapshot), each refused once: nothing retried, nothing else attempted.
    expect([...emulator.counts]).toEqual([['GetTable', 2]]);
    expect(await motoTable(emulator, DB, 'audit')).toBeUndefined();
    const denied = await component.onHealth();
    expect(denied.healthy).toBe(false);
    expect(denied.detail).toMatch(/access denied/i);
    // Once the grant is fixed, a refresh brings the table in.
    await component.onRefresh();
    expect((await motoTable(emulator, DB, 'audit'))?.Parameters.metadata_location).toBe(
      (await registryPointer('audit')).location,
    );
    expect((await component.onHealth()).detail).not.toMatch(/access denied/i);
  });

  it('a namespace whose Glue database it may not create: a clear error in health, once per change', {
    timeout: 60_000,
  }, async () => {
    emulator.failNext('CreateDatabase', 'AccessDeniedException', 100);
    emulator.resetCounts();
    await commitFiles('ledger', simple('ledger', [30], 'fin'), 'fin');
    emulator.clearFaults();
    expect(emulator.counts.get('CreateDatabase')).toBe(2);
    const health = await component.onHealth();
    expect(health.detail).toContain(
      `${DATABASE_PREFIX}fin does not exist and catalog_sync may not create it`,
    );
    await component.onRefresh();
    expect((await motoTable(emulator, `${DATABASE_PREFIX}fin`, 'ledger'))?.Parameters.metadata_location).toBe(
      (await registryPointer('ledger', 'fin')).location,
    );
  });

  it('a dropped table keeps its Glue table as it was and is no longer updated', {
    timeout: 60_000,
  }, async () => {
    const { id, location } = await registryPointer('orders');
    const before = await motoTable(emulator, DB, 'orders');
    expect(before?.Parameters.metadata_location).toBe(location);
    await warehouse.registry.client.execute({
      sql: "UPDATE tables SET state = 'dropped' WHERE id = ?",
      args: [id],
    });
    emulator.resetCounts();
    logId = await feedChanges(warehouse.registry, component, logId);
    await component.onRefresh();
    expect(emulator.counts.get('UpdateTable') ?? 0).toBe(0);
    expect(await motoTable(emulator, DB, 'orders')).toEqual(before);
  });
});
