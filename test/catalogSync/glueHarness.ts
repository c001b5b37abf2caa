/**
 * What the catalog_sync tests share: a component wired to the Glue emulator, the registry's
 * own change events fed to it (parsed from `__cdc_log` as the drainer would), Glue reads
 * straight from moto, and PyIceberg's Glue catalog reading tables by name.
 */
import { join } from 'node:path';
import { parseLogRow, type LogRow } from '../../lib/astha/events.js';
import { createAwsGlueCatalog } from '../../lib/catalogSync/awsGlueCatalog.js';
import { createCatalogSync } from '../../lib/catalogSync/catalogSync.js';
import type { GlueCatalog, GlueTable } from '../../lib/catalogSync/glueCatalog.js';
import type { ComponentLogic } from '../../lib/components/component.js';
import type { Logger } from '../../lib/log.js';
import type { Registry } from '../../lib/registry/registry.js';
import { runPython, type S3Access, type Summary } from '../conformance/readers.js';
import type { GlueEmulator } from '../harness/glueEmulator.js';

export const DATABASE_PREFIX = 'astha_';

export function emulatorGlue(emulator: GlueEmulator, endpoint = emulator.endpoint): GlueCatalog {
  return createAwsGlueCatalog({ endpoint, region: emulator.region, credentials: emulator.credentials });
}

export function catalogSyncOn(emulator: GlueEmulator, registry: Registry, logger: Logger): ComponentLogic {
  return createCatalogSync({
    registry,
    glue: emulatorGlue(emulator),
    databasePrefix: DATABASE_PREFIX,
    logger,
    throttle: { attempts: 4, baseMs: 10, maxMs: 50 },
  });
}

/** Feeds every change logged after `afterId` to the component, in order; returns the last id. */
export async function feedChanges(
  registry: Registry,
  component: ComponentLogic,
  afterId: number,
): Promise<number> {
  const result = await registry.client.execute({
    sql: 'SELECT id, timestamp, tablename, operation, before, after FROM __cdc_log WHERE id > ? ORDER BY id',
    args: [afterId],
  });
  let last = afterId;
  for (const row of result.rows) {
    const parsed = parseLogRow({ ...row } as unknown as LogRow);
    if (!parsed.ok) throw new Error(`unparsable change: ${parsed.reason}`);
    if (component.subscribedTables.includes(parsed.event.table)) await component.onEvent(parsed.event);
    last = Number(row.id);
  }
  return last;
}

/** The table as moto stores it (not through the fault-injecting proxy). */
export async function motoTable(
  emulator: GlueEmulator,
  database: string,
  name: string,
): Promise<GlueTable | undefined> {
  return emulatorGlue(emulator, emulator.motoEndpoint).getTable(database, name);
}

export interface GlueRead extends Partial<Summary> {
  metadata_location?: string;
  schema?: { name: string; type: string }[];
  error?: string;
}

/** PyIceberg's Glue catalog loads each table by name and scans it. */
export async function readThroughGlue(
  emulator: GlueEmulator,
  s3: S3Access,
  tables: { database: string; table: string }[],
): Promise<GlueRead[]> {
  const glue = {
    endpoint: emulator.motoEndpoint,
    region: emulator.region,
    access_key_id: emulator.credentials.accessKeyId,
    secret_access_key: emulator.credentials.secretAccessKey,
  };
  const script = join(process.cwd(), 'test', 'python', 'readers', 'read_glue_table.py');
  const output = await runPython<{ results: GlueRead[] }>(script, { glue, s3, tables });
  return output.results;
}
