/**
 * `astha compact` and `astha maintain` as a person runs them, on a real warehouse directory
 * and libSQL file: a dry run changes nothing, compaction replaces the small files of the
 * partition that qualifies and DuckDB and PyIceberg read the same rows afterwards, expiration
 * and cleanup delete only what the report names, and mistakes are one line with exit code 2.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes, whyNothingPlanned } from '../../lib/compactor/compactionPlan.js';
import { compactionPolicy, planCompaction } from '../../lib/compactor/planCompaction.js';
import { type LiveFile, liveFiles } from '../../lib/registry/compactionState.js';
import { openRegistry } from '../../lib/registry/registry.js';
import { readTables, type Summary } from '../conformance/readers.js';
import { ordersParquet } from '../registry/parquetFiles.js';
import { type Run, runAstha, putWarehouseFile } from './runAstha.js';
import { liveFile } from '../compactor/liveFile.js';

const TABLE = 'shop.orders';
const FOUR_DAYS_S = 4 * 24 * 60 * 60;
let cwd: string;

function astha(args: string[], timeoutMs?: number): Promise<Run> {
  return runAstha(cwd, args, timeoutMs);
}

/** `astha ... --json`, expecting exit 0 and nothing but progress on stderr. */
async function asthaJson<T>(args: string[]): Promise<T> {
  const run = await astha([...args, '--json']);
  // Long work may report progress on stderr (JSON lines under --json); nothing else belongs there.
  const said = run.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('{"progress":'));
  expect(said, args.join(' ')).toEqual([]);
  expect(run.code, args.join(' ')).toBe(0);
  return JSON.parse(run.stdout) as T;
}

/** Every object of the warehouse with its size and modification time: "nothing changed" is this being equal. */
function warehouseObjects(): Record<string, string> {
  const root = join(cwd, 'warehouse');
  const objects: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const stat = statSync(path);
    objects[path.slice(root.length + 1)] = `${stat.size}@${stat.mtimeMs}`;
  }
  return objects;
}

/** The registry as another process sees it: opened, read, closed (the CLI runs in between). */
async function tableState(): Promise<{ live: LiveFile[]; metadataLocation: string; removed: Row[] }> {
  const registry = await openRegistry(`file:${join(cwd, '.astha', 'registry.db')}`);
  try {
    const row = await registry.tableByName('shop', 'orders');
    if (!row?.metadata_location) throw new Error('shop.orders has no metadata');
    const removed = await registry.client.execute({
      sql: `SELECT path, target_snapshot_id FROM table_files WHERE table_id = ? AND iceberg_state = 'removed'
            ORDER BY path`,
      args: [row.id],
    });
    return {
      live: await liveFiles(registry.client, row.id),
      metadataLocation: row.metadata_location,
      removed: removed.rows.map((r) => ({ path: String(r.path), snapshot: String(r.target_snapshot_id) })),
    };
  } finally {
    registry.close();
  }
}

interface Row {
  path: string;
  snapshot: string;
}

async function readBoth(metadataLocation: string): Promise<Summary[]> {
  const results = await readTables([
    { mode: 'duckdb', metadata: metadataLocation },
    { mode: 'pyiceberg', metadata: metadataLocation },
  ]);
  return results.map((r) => {
    expect(r.error).toBeUndefined();
    return { rows: r.rows ?? -1, checksum: r.checksum ?? '' };
  });
}

/** Makes every object under the table's metadata directory look `seconds` old to cleanup's safety age. */
function ageMetadata(seconds: number): void {
  const dir = join(cwd, 'warehouse', 'shop', 'orders', 'metadata');
  const when = Date.now() / 1000 - seconds;
  for (const name of readdirSync(dir)) utimesSync(join(dir, name), when, when);
}

interface CompactJson {
  dryRun: boolean;
  groups: {
    partitionPath: string;
    inputFiles: number;
    outputFiles?: number;
    snapshotId?: string;
    refused?: string;
    files?: string[];
  }[];
  reason?: string;
  policy?: { minInputFiles: number; targetFileSizeBytes: number };
  manifests?: { small?: number; total?: number; rewriteAt?: number; snapshotId?: string; replaced?: number };
}

interface MaintainJson {
  dryRun: boolean;
  expired: number;
  expiredSnapshots: string[];
  version: number;
  cleanup: { orphans: { key: string; kind: string; size: number }[] };
  deletedByKind: Record<string, { count: number; bytes: number }>;
}

let baseline: Summary;

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'astha-cli-maintenance-'));
  // Six small files in one day (over min-input-files, 5) and two in another (under it).
  for (let i = 0; i < 6; i++) {
    putWarehouseFile(
      cwd,
      `shop/orders/data/day=2024-01-01/a${i}.parquet`,
      ordersParquet(10 + i, { firstId: i * 100 }),
    );
  }
  for (let i = 0; i < 2; i++) {
    putWarehouseFile(
      cwd,
      `shop/orders/data/day=2024-01-02/b${i}.parquet`,
      ordersParquet(5, { firstId: 1000 + i * 100 }),
    );
  }
  expect(await asthaJson(['backfill', 'shop'])).toMatchObject({ registered: 8, rejected: 0 });
  // Expire every snapshot but the current one as soon as it is superseded, and merge manifests
  // from two small ones on; the Iceberg table takes the registry's properties when the first
  // snapshot creates it.
  await asthaJson([
    'properties',
    TABLE,
    'history.expire.max-snapshot-age-ms=0',
    'astha.compaction.manifest-min-count=2',
  ]);
  expect(await asthaJson(['snapshot', TABLE])).toMatchObject({ committed: true, filesAdded: 8 });
  const [duck, py] = await readBoth((await tableState()).metadataLocation);
  expect(duck).toEqual({ rows: 85, checksum: py!.checksum });
  baseline = duck!;
}, 120_000);
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('astha compact and astha maintain', () => {
  it('compact --dry-run plans the qualifying partition and changes nothing', {
    timeout: 60_000,
  }, async () => {
    const before = await tableState();
    const objects = warehouseObjects();

    const plan = await asthaJson<CompactJson>(['compact', TABLE, '--dry-run']);
    expect(plan.dryRun).toBe(true);
    expect(plan.policy).toMatchObject({ minInputFiles: 5, targetFileSizeBytes: 128 * 1024 * 1024 });
    expect(plan.groups).toHaveLength(1);
    expect(plan.groups[0]).toMatchObject({ partitionPath: 'day=2024-01-01', inputFiles: 6 });
    expect(plan.groups[0]!.files).toEqual(
      before.live.filter((f) => f.partitionPath === 'day=2024-01-01').map((f) => f.path),
    );

    // One manifest (the append's): under the table's threshold of two.
    expect(plan.manifests).toEqual({ small: 1, total: 1, rewriteAt: 2 });

    const text = await astha(['compact', TABLE, '--dry-run']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')).toEqual([
      expect.stringMatching(/^shop\.orders: would compact day=2024-01-01: 6 files, [\d.]+ KiB, 75 rows$/),
      'shop.orders: 1 group(s), 6 of 8 live files',
      'shop.orders: manifests: 1 of 1 small, merged from 2 on',
      'shop.orders: dry run, nothing written',
      '',
    ]);

    const after = await tableState();
    expect(after.live).toEqual(before.live);
    expect(after.metadataLocation).toBe(before.metadataLocation);
    expect(warehouseObjects()).toEqual(objects);
  });

  it('compact replaces the small files; DuckDB and PyIceberg read the same rows', {
    timeout: 90_000,
  }, async () => {
    const before = await tableState();
    expect(before.live).toHaveLength(8);

    const report = await asthaJson<CompactJson>(['compact', TABLE]);
    expect(report.dryRun).toBe(false);
    expect(report.groups).toHaveLength(1);
    const group = report.groups[0]!;
    expect(group).toMatchObject({ partitionPath: 'day=2024-01-01', inputFiles: 6, outputFiles: 1 });
    expect(group.refused).toBeUndefined();
    expect(group.snapshotId).toMatch(/^\d+$/);
    // The replace left two small manifests, the threshold: the same look merged them.
    expect(report.manifests).toMatchObject({ snapshotId: expect.stringMatching(/^\d+$/), replaced: 2 });

    const after = await tableState();
    expect(after.live).toHaveLength(3);
    expect(after.live.filter((f) => f.asthaWritten)).toEqual([
      expect.objectContaining({ partitionPath: 'day=2024-01-01', rowCount: 75 }),
    ]);
    // The registry names the replacing snapshot on every input.
    expect(after.removed).toEqual(
      before.live
        .filter((f) => f.partitionPath === 'day=2024-01-01')
        .map((f) => ({ path: f.path, snapshot: group.snapshotId })),
    );
    expect(after.metadataLocation).not.toBe(before.metadataLocation);
    expect(await readBoth(after.metadataLocation)).toEqual([baseline, baseline]);
    // status says what compaction holds.
    const status = await asthaJson<{ compaction: Record<string, number> }>(['status']);
    expect(status.compaction).toEqual({ outputs: 1, replacedFiles: 6, retractionsPending: 0 });
    expect((await astha(['status'])).stdout).toContain(
      'compaction  1 compacted files hold the rows of 6 replaced files\n',
    );

    // Now no partition qualifies, and the command says why in one line.
    const again = await astha(['compact', TABLE]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      'shop.orders: nothing to compact: no partition has >= 5 files below 96 MiB (most: 2 in day=2024-01-02)\n',
    );
  });

  it('maintain --dry-run deletes nothing; maintain expires and deletes only what it reports', {
    timeout: 90_000,
  }, async () => {
    // Past cleanup's safety age (3 days), so what expiration makes unreachable may go.
    ageMetadata(FOUR_DAYS_S);
    const before = await tableState();
    const objects = warehouseObjects();

    const dry = await asthaJson<MaintainJson>(['maintain', TABLE, '--dry-run']);
    expect(dry.dryRun).toBe(true);
    expect(warehouseObjects()).toEqual(objects);
    expect((await tableState()).metadataLocation).toBe(before.metadataLocation);
    for (const orphan of dry.cleanup.orphans) expect(objects).toHaveProperty([orphan.key]);
    const text = await astha(['maintain', TABLE, '--dry-run']);
    expect(text.stdout).toMatch(
      /^shop\.orders: would expire 2 snapshot\(s\), would delete \d+ manifest-list \([\d.]+ KiB\), \d+ manifest \([\d.]+ KiB\), metadata v\d+ \(dry run\)\n$/,
    );
    expect(warehouseObjects()).toEqual(objects);

    const real = await asthaJson<MaintainJson>(['maintain', TABLE]);
    expect(real.dryRun).toBe(false);
    // The append and the replace are superseded by the manifest rewrite and older than 0 ms.
    expect(real.expired).toBe(2);
    expect(real.deletedByKind.manifest?.count).toBeGreaterThanOrEqual(1);
    expect(real.deletedByKind['manifest-list']?.count).toBeGreaterThanOrEqual(1);
    // The dry run named exactly what the run expired and deleted.
    expect(dry.expired).toBe(real.expired);
    expect(dry.expiredSnapshots).toEqual(real.expiredSnapshots);
    expect(dry.cleanup.orphans).toEqual(real.cleanup.orphans);
    const left = warehouseObjects();
    for (const orphan of real.cleanup.orphans) {
      expect(objects).toHaveProperty([orphan.key]);
      expect(left).not.toHaveProperty([orphan.key]);
    }
    // Nothing else went: every object not reported is still there (new metadata may have come).
    const reported = new Set(real.cleanup.orphans.map((o) => o.key));
    for (const key of Object.keys(objects)) if (!reported.has(key)) expect(left).toHaveProperty([key]);
    // Compacted-away data files are younger than the safety age in the registry: they stay.
    expect(real.deletedByKind.data).toBeUndefined();
    const after = await tableState();
    expect(await readBoth(after.metadataLocation)).toEqual([baseline, baseline]);

    const again = await astha(['maintain', TABLE]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^shop\.orders: expired 0 snapshot\(s\), deleted nothing, metadata v\d+\n$/);
  });

  it('turns mistakes into one line and exit code 2', { timeout: 60_000 }, async () => {
    for (const args of [['compact'], ['maintain', 'no.such'], ['compact', 'shop']]) {
      const run = await astha(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^astha: [^\n]+\n$/);
    }
  });
});

describe('why compaction planned nothing', () => {
  const MiB = 1024 * 1024;
  const file = liveFile;
  const explain = (files: LiveFile[], properties: Record<string, string> = {}) => {
    const policy = compactionPolicy(properties);
    // Every reason is for a plan that really is empty.
    expect(planCompaction(files, policy)).toEqual([]);
    return whyNothingPlanned(files, policy);
  };

  it('names the rule, the threshold and the partition closest to it', () => {
    const files = [1, 2, 3].map((i) => file(i, 'd=1', MiB)).concat([file(4, 'd=2', MiB)]);
    expect(explain(files)).toBe('no partition has >= 5 files below 96 MiB (most: 3 in d=1)');
    expect(explain(files.slice(0, 2), { 'write.target-file-size-bytes': String(64 * MiB) })).toBe(
      'no partition has >= 5 files below 48 MiB (most: 2 in d=1)',
    );
    expect(explain([file(1, '', MiB)])).toBe(
      'no partition has >= 5 files below 96 MiB (most: 1 in the table)',
    );
  });

  it('says when compaction is off, the table is empty, no file is small, or small files do not pack', () => {
    const small = [1, 2, 3, 4, 5].map((i) => file(i, 'd=1', MiB));
    expect(explain(small, { 'astha.compaction.enabled': 'false' })).toBe(
      'compaction is disabled (astha.compaction.enabled=false)',
    );
    expect(explain([])).toBe('the table has no live Parquet files');
    expect(explain([file(1, 'd=1', 100 * MiB)])).toBe(
      'no partition has >= 5 files below 96 MiB (none of the 1 live files is that small)',
    );
    // Five files each just under 75 % of the target: no two fit in one target-size file.
    const big = [1, 2, 3, 4, 5].map((i) => file(i, 'd=1', 95 * MiB));
    expect(explain(big)).toBe('small files in d=1 do not pack two to a target-size file');
  });

  it('prints sizes in binary units', () => {
    expect([0, 883, 3086, 96 * MiB, 1.5 * 1024 * MiB].map(formatBytes)).toEqual([
      '0 B',
      '883 B',
      '3.0 KiB',
      '96 MiB',
      '1.5 GiB',
    ]);
  });
});
