/**
 * The Glue port's contract, run against the memory adapter and the AWS SDK adapter on the Glue
 * emulator (moto behind the proxy that enforces VersionId as real Glue does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsGlueCatalog } from '../../lib/catalogSync/awsGlueCatalog.js';
import type { GlueCatalog, GlueTableInput } from '../../lib/catalogSync/glueCatalog.js';
import { GlueError } from '../../lib/catalogSync/glueCatalog.js';
import { createMemoryGlueCatalog } from '../../lib/catalogSync/memoryGlueCatalog.js';
import { type GlueEmulator, startGlueEmulator } from '../harness/glueEmulator.js';
import { uniqueName } from '../harness/services.js';

const input = (name: string, parameters: Record<string, string> = {}): GlueTableInput => ({
  Name: name,
  TableType: 'EXTERNAL_TABLE',
  Parameters: { table_type: 'ICEBERG', ...parameters },
  StorageDescriptor: { Location: `s3://lake/${name}`, Columns: [{ Name: 'id', Type: 'bigint' }] },
});

async function rejection(promise: Promise<unknown>): Promise<GlueError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GlueError);
  return error as GlueError;
}

function glueContract(name: string, open: () => GlueCatalog) {
  describe(`Glue port: ${name}`, () => {
    const database = () => uniqueName('db').replaceAll('-', '_');

    it('creates a table in a database it created, and reads it back', async () => {
      const glue = open();
      const db = database();
      expect(await glue.getTable(db, 't')).toBeUndefined();
      expect((await rejection(glue.createTable(db, input('t')))).code).toBe('not_found');
      await glue.createDatabase(db, 'test');
      expect((await rejection(glue.createDatabase(db, 'test'))).code).toBe('already_exists');
      await glue.createTable(db, input('t', { metadata_location: 's3://lake/t/v1.json' }));
      expect((await rejection(glue.createTable(db, input('t')))).code).toBe('already_exists');
      const table = await glue.getTable(db, 't');
      expect(table).toMatchObject({ Name: 't', DatabaseName: db, TableType: 'EXTERNAL_TABLE' });
      expect(table?.Parameters.metadata_location).toBe('s3://lake/t/v1.json');
      expect(table?.StorageDescriptor?.Columns).toEqual([{ Name: 'id', Type: 'bigint' }]);
      expect(table?.VersionId).toBeDefined();
    });

    it('updates with the current VersionId, refuses a stale one, and says not_found for a missing table', async () => {
      const glue = open();
      const db = database();
      await glue.createDatabase(db, 'test');
      await glue.createTable(db, input('t'));
      const first = (await glue.getTable(db, 't'))!.VersionId;
      await glue.updateTable(db, input('t', { metadata_location: 'v2' }), first);
      const second = await glue.getTable(db, 't');
      expect(second?.Parameters.metadata_location).toBe('v2');
      expect(second?.VersionId).not.toBe(first);
      const stale = await rejection(glue.updateTable(db, input('t', { metadata_location: 'v1' }), first));
      expect(stale).toMatchObject({ code: 'conflict', retryable: true });
      expect((await glue.getTable(db, 't'))?.Parameters.metadata_location).toBe('v2');
      expect((await rejection(glue.updateTable(db, input('u'), '1'))).code).toBe('not_found');
    });
  });
}

glueContract('memory', createMemoryGlueCatalog);

let emulator: GlueEmulator;
beforeAll(async () => {
  emulator = await startGlueEmulator();
}, 60_000);
afterAll(async () => {
  await emulator?.stop();
});
glueContract('AWS SDK on the Glue emulator', () =>
  createAwsGlueCatalog({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: emulator.credentials,
  }),
);
