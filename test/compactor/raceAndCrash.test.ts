/**
 * Compaction against the things that go wrong: appends committing while a compaction rewrites
 * the same table, and the compactor dying at any store call. Whatever happens, the registry's
 * committed files are exactly the table's live data files, and the readers see every landed row
 * exactly once.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactTable } from '../../lib/compactor/compactTable.js';
import { type CommitTurn, currentTurn } from '../../lib/registry/commitTurns.js';
import { ManifestEntryStatus } from '../../lib/iceberg/spec/dataFile.js';
import { inheritFromManifestFile, readManifest } from '../../lib/iceberg/spec/manifest.js';
import { readManifestList } from '../../lib/iceberg/spec/manifestList.js';
import { currentSnapshot } from '../../lib/iceberg/spec/tableMetadata.js';
import { keyOfUri } from '../../lib/iceberg/tableLocation.js';
import { addSummaries, type FileSpec, type Summary } from '../conformance/readers.js';
import { FaultyStore, InjectedCrash, type StoreMethod } from '../iceberg/commit/faultyStore.js';
import { type CompactionLake, openCompactionLake, summaryOf } from './compactionLake.js';

const SMALL_POLICY = { 'astha.compaction.min-input-files': '3' };

async function setProperties(lake: CompactionLake, table: string, properties: Record<string, string>) {
  const row = await lake.registry.tableByName('ns', table);
  const metadata = await lake.registry.tableMetadata(row!.id);
  const merged = { ...JSON.parse(metadata!.properties_json), ...properties };
  await lake.registry.client.execute({
    sql: 'UPDATE table_metadata SET properties_json = ? WHERE table_id = ?',
    args: [JSON.stringify(merged), row!.id],
  });
  return row!.id;
}

/** The data files the table's current snapshot holds, read from its manifests. */
async function icebergLiveFiles(lake: CompactionLake, table: string): Promise<string[]> {
  const loaded = await lake.iceberg('ns', table);
  const snapshot = currentSnapshot(loaded!.metadata);
  if (!snapshot) return [];
  const files: string[] = [];
  const list = readManifestList(await lake.store.get(keyOfUri(lake.store, snapshot.manifestList)));
  for (const manifest of list.manifests) {
    const read = readManifest(await lake.store.get(keyOfUri(lake.store, manifest.manifestPath)));
    for (const entry of inheritFromManifestFile(read.entries, manifest)) {
      if (entry.status !== ManifestEntryStatus.DELETED) files.push(entry.dataFile.filePath);
    }
  }
  return files.sort();
}

async function registryLiveFiles(lake: CompactionLake, tableId: number): Promise<string[]> {
  const result = await lake.registry.client.execute({
    sql: "SELECT uri FROM table_files WHERE table_id = ? AND iceberg_state = 'committed' ORDER BY uri",
    args: [tableId],
  });
  return result.rows.map((r) => String(r.uri)).sort();
}

function smallFiles(table: string, count: number, firstSeed: number): FileSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    dir: `ns/${table}/data`,
    name: `f${firstSeed + i}.parquet`,
    profile: 'simple' as const,
    rows: 5 + ((firstSeed + i) % 7),
    seed: firstSeed + i,
  }));
}

describe('compaction racing appends and crashing', () => {
  let lake: CompactionLake;
  beforeAll(async () => {
    lake = await openCompactionLake();
  });
  afterAll(() => lake?.close());

  it('20 rounds of appends racing compaction lose and duplicate no row', async () => {
    const landed: Summary[] = [await lake.landFiles(smallFiles('race', 1, 0))];
    const tableId = await setProperties(lake, 'race', SMALL_POLICY);
    // Written up front (one Python run); landed two per round below.
    const scratch = await lake.writeOnly(smallFiles('race', 40, 1));
    let compactions = 0;
    for (let round = 0; round < 20; round++) {
      for (const file of scratch.files.slice(round * 2, round * 2 + 2)) {
        const outcome = await lake.land(file.path, new Uint8Array(readFileSync(file.absolute)));
        expect(outcome.status).toBe('registered');
        landed.push(file);
      }
      const [, report] = await Promise.all([
        lake.deliver(lake.updater),
        compactTable(tableId, { registry: lake.registry, store: lake.store }),
      ]);
      compactions += report.groups.filter((g) => g.snapshotId !== undefined).length;
      expect(await registryLiveFiles(lake, tableId)).toEqual(await icebergLiveFiles(lake, 'race'));
    }
    await lake.deliver(lake.updater);
    await compactTable(tableId, { registry: lake.registry, store: lake.store });
    expect(compactions).toBeGreaterThan(3);
    expect(await registryLiveFiles(lake, tableId)).toEqual(await icebergLiveFiles(lake, 'race'));
    const expected = addSummaries(landed);
    const [pyiceberg, duckdb, metrics] = await lake.read('ns', 'race');
    expect(summaryOf(pyiceberg!)).toEqual(expected);
    expect(summaryOf(duckdb!)).toEqual(expected);
    expect(metrics!.violations).toEqual([]);
  }, 120_000);

  it('an append winning the race to the next version: the replace retries on it and keeps its file', async () => {
    const landed: Summary[] = [await lake.landFiles(smallFiles('won', 5, 3000))];
    const tableId = await setProperties(lake, 'won', SMALL_POLICY);
    const late = await lake.writeOnly(smallFiles('won', 1, 3100));
    landed.push(late.files[0]!);
    await lake.land(late.files[0]!.path, new Uint8Array(readFileSync(late.files[0]!.absolute)));
    // Just before the compactor's metadata PUT, the updater commits the new file first.
    const turns: (CommitTurn | undefined)[] = [];
    const store = new FaultyStore(lake.store)
      .inject({
        method: 'putIfAbsent',
        key: /metadata\/v\d+\.metadata\.json$/,
        when: 'before',
        effect: () => lake.deliver(lake.updater),
      })
      .inject({
        // The retry holds the table's turn (appends wait before claiming).
        method: 'putIfAbsent',
        key: /metadata\/v\d+\.metadata\.json$/,
        when: 'before',
        effect: async () => void turns.push(await currentTurn(lake.registry.client, tableId, Date.now())),
      });
    const report = await compactTable(tableId, { registry: lake.registry, store });
    expect(report.groups).toHaveLength(1);
    expect(report.groups[0]).toMatchObject({ inputFiles: 5, attempts: 2 });
    expect(store.calls.putIfAbsent).toBeGreaterThanOrEqual(2);
    expect(turns).toEqual([{ holder: 'compactor', untilMs: expect.any(Number) }]);
    expect(await currentTurn(lake.registry.client, tableId, Date.now())).toBeUndefined();
    const live = await registryLiveFiles(lake, tableId);
    expect(live).toHaveLength(2);
    expect(live).toEqual(await icebergLiveFiles(lake, 'won'));
    const [pyiceberg, duckdb] = await lake.read('ns', 'won');
    expect(summaryOf(pyiceberg!)).toEqual(addSummaries(landed));
    expect(summaryOf(duckdb!)).toEqual(addSummaries(landed));
  }, 60_000);

  it('a concurrent compaction of the same files wins: the loser commits nothing and leaves the registry alone', async () => {
    const landed = await lake.landFiles(smallFiles('twice', 5, 4000));
    const tableId = await setProperties(lake, 'twice', SMALL_POLICY);
    let winner: Awaited<ReturnType<typeof compactTable>> | undefined;
    const store = new FaultyStore(lake.store).inject({
      method: 'putIfAbsent',
      key: /metadata\/v\d+\.metadata\.json$/,
      when: 'before',
      effect: async () => {
        winner = await compactTable(tableId, { registry: lake.registry, store: lake.store });
      },
    });
    const loser = await compactTable(tableId, { registry: lake.registry, store });
    expect(winner!.groups[0]!.snapshotId).toBeDefined();
    expect(loser.groups[0]).toMatchObject({ refused: 'inputs_gone' });
    expect(loser.groups[0]!.snapshotId).toBeUndefined();
    const live = await registryLiveFiles(lake, tableId);
    expect(live).toHaveLength(1);
    expect(live).toEqual(await icebergLiveFiles(lake, 'twice'));
    const loaded = await lake.iceberg('ns', 'twice');
    expect(loaded!.metadata.snapshots.filter((s) => s.summary.operation === 'replace')).toHaveLength(1);
    const [pyiceberg] = await lake.read('ns', 'twice');
    expect(summaryOf(pyiceberg!)).toEqual(landed);
  }, 60_000);

  it('a crash at any store call of a compaction never loses or duplicates a row', async () => {
    const landed: Summary[] = [await lake.landFiles(smallFiles('crash', 4, 1000))];
    const tableId = await setProperties(lake, 'crash', SMALL_POLICY);
    // Crash points: the n-th store call boundary (before or after a call) of one compaction
    // look, spread over a look's ~60 boundaries, and right after the metadata PUT (the commit).
    const points: (number | 'after-commit')[] = [
      1,
      2,
      4,
      7,
      11,
      16,
      22,
      29,
      37,
      46,
      'after-commit',
      'after-commit',
    ];
    let crashed = 0;
    let recovered = 0;
    for (const [i, point] of points.entries()) {
      landed.push(await lake.landFiles(smallFiles('crash', 3, 2000 + i * 10)));
      const faulty = point === 'after-commit' ? crashAfterCommit(lake) : crashAt(lake, point);
      try {
        await compactTable(tableId, { registry: lake.registry, store: faulty });
      } catch (error) {
        if (!(error instanceof InjectedCrash)) throw error;
        crashed++;
      }
      // The next look (a redelivered event) on a healthy store recovers or redoes the work.
      const next = await compactTable(tableId, { registry: lake.registry, store: lake.store });
      recovered += next.recovered.length;
      expect(await registryLiveFiles(lake, tableId)).toEqual(await icebergLiveFiles(lake, 'crash'));
    }
    expect(crashed).toBeGreaterThan(8);
    expect(recovered).toBeGreaterThanOrEqual(2);
    const expected = addSummaries(landed);
    const [pyiceberg, duckdb, metrics] = await lake.read('ns', 'crash');
    expect(summaryOf(pyiceberg!)).toEqual(expected);
    expect(summaryOf(duckdb!)).toEqual(expected);
    expect(metrics!.violations).toEqual([]);
    const table = await lake.registry.tableById(tableId);
    expect(table!.row_count).toBe(expected.rows);
  }, 120_000);
});

/** A store whose process "dies" right after creating a metadata version: committed, unrecorded. */
function crashAfterCommit(lake: CompactionLake): FaultyStore {
  return new FaultyStore(lake.store).inject({
    method: 'putIfAbsent',
    key: /metadata\/v\d+\.metadata\.json$/,
    when: 'after',
    fault: () => new InjectedCrash('after the replace commit'),
  });
}

/** A store that "dies" at its `point`-th call boundary (before or after a call, counted together). */
function crashAt(lake: CompactionLake, point: number): FaultyStore {
  const store = new FaultyStore(lake.store);
  let boundary = 0;
  const effect = async () => {
    boundary++;
    if (boundary === point) throw new InjectedCrash(`at store boundary ${point}`);
  };
  const methods: StoreMethod[] = ['get', 'head', 'put', 'putIfAbsent', 'putIfMatch', 'delete', 'upload'];
  for (const method of methods) {
    for (const when of ['before', 'after'] as const) {
      store.inject({ method, key: /./, when, effect, times: Number.POSITIVE_INFINITY });
    }
  }
  return store;
}
