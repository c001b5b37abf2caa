/**
 * A lake for compaction tests: Parquet files written by pyarrow (test/python/writers), landed
 * and committed the way astha does it (registration, then the iceberg_updater), and the
 * readers' view of the table (PyIceberg, DuckDB, metrics check) and of older snapshots.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { expect } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIcebergUpdater } from '../../lib/components/icebergUpdater.js';
import type { ComponentLogic } from '../../lib/components/component.js';
import { silentLogger } from '../../lib/log.js';
import {
  type FileSpec,
  type ReadResult,
  readTables,
  runPython,
  type Summary,
  writeFiles,
} from '../conformance/readers.js';
import { type Lake, openLake } from '../components/lakeFixture.js';

export interface CompactionLake extends Lake {
  updater: ComponentLogic;
  /** Writes the files with pyarrow, lands and commits them; returns what was written. */
  landFiles(files: FileSpec[]): Promise<Summary>;
  /** Writes the files with pyarrow only (to land later); each with its absolute path. */
  writeOnly(files: FileSpec[]): Promise<{ files: (Summary & { path: string; absolute: string })[] }>;
  metadataLocation(namespace: string, table: string): Promise<string>;
  read(namespace: string, table: string): Promise<ReadResult[]>;
  readSnapshots(metadata: string, snapshots: string[]): Promise<(Summary & { error?: string })[]>;
}

export async function openCompactionLake(): Promise<CompactionLake> {
  const lake = await openLake('fs');
  const scratch = mkdtempSync(join(tmpdir(), 'astha-compaction-'));
  const updater = createIcebergUpdater({
    registry: lake.registry,
    store: lake.store,
    logger: silentLogger(),
  });
  const metadataLocation = async (namespace: string, table: string) => {
    const loaded = await lake.iceberg(namespace, table);
    if (!loaded) throw new Error(`${namespace}.${table} has no Iceberg metadata`);
    return loaded.metadataLocation;
  };
  return {
    ...lake,
    updater,
    async landFiles(files) {
      const report = await writeFiles(scratch, files);
      for (const file of report.files) {
        const outcome = await lake.land(file.path, new Uint8Array(readFileSync(join(scratch, file.path))));
        if (outcome.status !== 'registered') throw new Error(`${file.path}: ${JSON.stringify(outcome)}`);
      }
      await lake.deliver(updater);
      return { rows: report.total.rows, checksum: report.total.checksum };
    },
    async writeOnly(files) {
      const report = await writeFiles(scratch, files);
      return {
        files: report.files.map((f) => ({
          path: f.path,
          absolute: join(scratch, f.path),
          rows: f.rows,
          checksum: f.checksum,
        })),
      };
    },
    metadataLocation,
    async read(namespace, table) {
      const metadata = await metadataLocation(namespace, table);
      return readTables([
        { mode: 'pyiceberg', metadata },
        { mode: 'duckdb', metadata },
        { mode: 'metrics', metadata },
      ]);
    },
    async readSnapshots(metadata, snapshots) {
      const script = join(process.cwd(), 'test', 'compactor', 'time_travel.py');
      const output = await runPython<{ results: (Summary & { error?: string })[] }>(script, {
        metadata,
        snapshots,
      });
      return output.results;
    },
    close() {
      lake.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** The summary a read saw, or its error (so a failing comparison shows it). */
export function summaryOf(result: ReadResult | (Summary & { error?: string })): Summary | { error: string } {
  if (result.error !== undefined) return { error: result.error };
  return { rows: result.rows ?? -1, checksum: result.checksum ?? '' };
}

/** PyIceberg and DuckDB (a `read` result) saw `expected`, and the metrics check found nothing wrong. */
export function expectReads(results: ReadResult[], expected: Summary): void {
  const [pyiceberg, duckdb, metrics] = results;
  expect(summaryOf(pyiceberg!)).toEqual(expected);
  expect(summaryOf(duckdb!)).toEqual(expected);
  expect(metrics!.error).toBeUndefined();
  expect(metrics!.violations).toEqual([]);
}
