/**
 * Iceberg benchmark: `npx tsx bench/iceberg.ts [files] [rounds]` (default 1,000 files, 3 rounds).
 *
 * Side by side on the same Parquet files (written once by pyarrow, user-style) on the same
 * filesystem store: astha (registerBatch: HEAD + footer read + registry rows, then
 * commitPending: one append snapshot) vs PyIceberg 0.12 `add_files` (footer read + manifest +
 * commit, one snapshot) on a SQLite catalog. PyIceberg's time is measured inside its process
 * (create_table + add_files), so interpreter start-up is not counted against it; the process
 * wall time is printed too. Rounds alternate who goes first (the machine's load drifts) and
 * medians are compared. Both tables are then read by PyIceberg to show they hold the same rows.
 *
 * Commit time against table size (10 files into an empty table vs one of 10,000 files after
 * 1,000 commits) is bench/commit.ts, the commit protocol's own benchmark.
 */
import { linkSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { commitPending } from '../lib/iceberg/commitPending.js';
import type { S3ObjectRef } from '../lib/registry/planRegistration.js';
import { openRegistry, type Registry } from '../lib/registry/registry.js';
import type { ObjectStore } from '../lib/store/objectStore.js';
import { openStore } from '../lib/store/openStore.js';
import { type FileSpec, pyicebergTable, readTables, writeFiles } from '../test/conformance/readers.js';

const args = process.argv.slice(2);
const FILES = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
const BUCKET = 'bench';
const ROUNDS = Number(args.filter((a) => /^\d+$/.test(a))[1] ?? 3);

interface Astha {
  registry: Registry;
  store: ObjectStore;
}

async function openAstha(dir: string): Promise<Astha> {
  mkdirSync(join(dir, 'warehouse'), { recursive: true });
  return {
    registry: await openRegistry(`file:${join(dir, 'registry.db')}`),
    store: openStore(pathToFileURL(join(dir, 'warehouse')).href),
  };
}

function specs(dir: string, count: number, from = 0): FileSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    dir,
    name: `part-${String(from + i).padStart(5, '0')}.parquet`,
    profile: 'simple',
    rows: 100,
    seed: from + i,
  }));
}

/** What an S3 ObjectCreated notification would say about each key (taken before timing). */
async function notifications(store: ObjectStore, paths: readonly string[]): Promise<S3ObjectRef[]> {
  return Promise.all(
    paths.map(async (key) => {
      const info = await store.head(key);
      if (!info) throw new Error(`${key} is missing`);
      return { bucket: BUCKET, key, size: info.size, etag: info.etag.replaceAll('"', '') };
    }),
  );
}

async function registerAndCommit(
  astha: Astha,
  refs: readonly S3ObjectRef[],
  namespace: string,
  table: string,
) {
  const started = performance.now();
  const outcomes = await astha.registry.registerBatch(refs, astha.store);
  const registeredMs = performance.now() - started;
  const bad = outcomes.find((outcome) => outcome.status !== 'registered');
  if (bad) throw new Error(`registration refused: ${JSON.stringify(bad)}`);
  const row = await astha.registry.tableByName(namespace, table);
  if (!row) throw new Error(`${namespace}.${table} was not created`);
  const result = await commitPending(row.id, { registry: astha.registry, store: astha.store });
  if (result === 'nothing pending') throw new Error('nothing was pending');
  return { ...result, registeredMs, committedMs: performance.now() - started - registeredMs };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The same files (hard links: same bytes) under a fresh warehouse, so each round starts empty. */
function linkWarehouse(from: string, to: string, paths: readonly string[]): void {
  for (const path of paths) {
    mkdirSync(dirname(join(to, path)), { recursive: true });
    linkSync(join(from, path), join(to, path));
  }
}

interface Round {
  asthaMs: number;
  registerMs: number;
  commitMs: number;
  pyMs: number;
  pyAddMs: number;
  pyWallMs: number;
  asthaMetadata: string;
  pyMetadata: string;
}

async function asthaRound(dir: string, source: string, paths: readonly string[]) {
  const astha = await openAstha(dir);
  linkWarehouse(source, join(dir, 'warehouse'), paths);
  const refs = await notifications(astha.store, paths);
  const started = performance.now();
  const committed = await registerAndCommit(astha, refs, 'bench', 'events');
  const asthaMs = performance.now() - started;
  astha.registry.close();
  return {
    asthaMs,
    registerMs: committed.registeredMs,
    commitMs: committed.committedMs,
    metadata: committed.metadataLocation,
  };
}

async function pyicebergRound(dir: string, source: string, paths: readonly string[]) {
  mkdirSync(join(dir, 'warehouse'), { recursive: true });
  const started = performance.now();
  const py = await pyicebergTable({
    warehouse: join(dir, 'warehouse'),
    catalog: join(dir, 'catalog.db'),
    namespace: 'bench',
    table: 'events',
    files: paths.map((path) => join(source, path)),
    commits: 1,
  });
  return {
    pyWallMs: performance.now() - started,
    pyMs: (py.create_seconds + py.add_files_seconds) * 1000,
    pyAddMs: py.add_files_seconds * 1000,
    metadata: py.metadata,
  };
}

async function sideBySide(dir: string): Promise<void> {
  const source = join(dir, 'files');
  console.log(`writing ${FILES} Parquet files with pyarrow (100 rows each) …`);
  const written = await writeFiles(source, specs('bench/events/data', FILES));
  const paths = written.files.map((file) => file.path);
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate who goes first: the machine's load drifts.
    const runAstha = () => asthaRound(join(dir, `astha-${r}`), source, paths);
    const runPy = () => pyicebergRound(join(dir, `pyiceberg-${r}`), source, paths);
    let a: Awaited<ReturnType<typeof runAstha>>;
    let p: Awaited<ReturnType<typeof runPy>>;
    if (r % 2 === 0) {
      a = await runAstha();
      p = await runPy();
    } else {
      p = await runPy();
      a = await runAstha();
    }
    rounds.push({ ...a, ...p, asthaMetadata: a.metadata, pyMetadata: p.metadata });
  }
  const pick = (f: (round: Round) => number) => median(rounds.map(f));
  const asthaMs = pick((r) => r.asthaMs);
  const pyMs = pick((r) => r.pyMs);
  const [asthaRead, pyRead] = await readTables([
    { mode: 'pyiceberg', metadata: rounds[0]!.asthaMetadata },
    { mode: 'pyiceberg', metadata: rounds[0]!.pyMetadata },
  ]);
  console.log(
    `\n== ${FILES} files into an empty table, one snapshot, filesystem store (median of ${ROUNDS} rounds) ==`,
  );
  console.log(
    `astha register + commit:         ${seconds(asthaMs)}  (register ${seconds(pick((r) => r.registerMs))}, commit ${seconds(pick((r) => r.commitMs))}; rounds ${rounds.map((r) => seconds(r.asthaMs)).join(', ')})`,
  );
  console.log(
    `PyIceberg create + add_files:    ${seconds(pyMs)}  (add_files ${seconds(pick((r) => r.pyAddMs))}, process wall ${seconds(pick((r) => r.pyWallMs))}; rounds ${rounds.map((r) => seconds(r.pyMs)).join(', ')})`,
  );
  console.log(
    `ratio PyIceberg / astha:         ${(pyMs / asthaMs).toFixed(2)}x  (${asthaMs < pyMs ? 'astha faster' : 'astha NOT faster'})`,
  );
  console.log(
    `both tables read back by PyIceberg: rows ${asthaRead?.rows} vs ${pyRead?.rows}, checksum ${asthaRead?.checksum === pyRead?.checksum ? 'equal' : 'DIFFERENT'} (written: ${written.total.rows} rows)`,
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'astha-bench-iceberg-'));
  try {
    await sideBySide(join(dir, 'side'));
    console.log('\n(commit time against table size: npx tsx bench/commit.ts)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
