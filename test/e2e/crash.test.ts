/**
 * Crash test of the whole runtime: `astha start` runs as a child process on the embedded
 * default while files keep landing in its warehouse; it is SIGKILLed at random moments
 * (during start-up, registration, draining, a commit or a compaction) and restarted, again and
 * again. At the end one last run settles everything, and PyIceberg and the registry must agree
 * that every landed file's rows are in the table exactly once (in the file itself or in a
 * compaction output), and nothing else.
 *
 * Files land as S3 objects do, all at once: written under a hidden temporary name, then renamed.
 * The random schedule comes from a seed printed in every failure (ASTHA_CRASH_SEED replays it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry, type Registry } from '../../lib/registry/registry.js';
import { asthaArgv } from '../cli/runAstha.js';
import { type LandedFile, scenarioFiles, summarizeTable, waitForLanded } from './scenario.js';

const RUNS = 12;
const FILES = 160;
const TABLE = { namespace: 'crash', name: 'events' };
/** A kill lands anywhere from the child's module loading to well after its first commits. */
const KILL_AFTER_MS = { min: 300, max: 6_000 };
const WRITE_EVERY_MS = 180;

const seed = Number(process.env.ASTHA_CRASH_SEED || Math.floor(Math.random() * 2 ** 31));
let dir: string;
let warehouse: string;
let env: NodeJS.ProcessEnv;

/** mulberry32: a tiny seeded generator, so a failing schedule can be replayed. */
function seededRandom(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'astha-crash-'));
  warehouse = join(dir, 'warehouse');
  mkdirSync(warehouse, { recursive: true });
  env = {
    ...process.env,
    ASTHA_REGISTRY_URL: `file:${join(dir, 'registry.db')}`,
    ASTHA_WAREHOUSE: `file://${warehouse}`,
    ASTHA_LOG_LEVEL: 'error',
  };
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Child {
  process: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
}

function startAstha(): Child {
  // From the sources, as every CLI test runs it (a dist/ left by `npm pack` may be stale).
  const [node, ...nodeArgs] = asthaArgv();
  const child = spawn(node!, [...nodeArgs, 'start', '--no-sample', '--no-catalog'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, exited, stderr: () => stderr };
}

/** Lands one file atomically: a half-written file must never be visible under its real name. */
function land(file: LandedFile): void {
  const target = join(warehouse, file.key);
  mkdirSync(dirname(target), { recursive: true });
  const temporary = join(dirname(target), `.${Date.now()}-${Math.random().toString(36).slice(2)}.tmp`);
  writeFileSync(temporary, file.body);
  renameSync(temporary, target);
}

/** Lands files one by one until told to stop or all are written; resolves to those written. */
function writeWhile(files: readonly LandedFile[], stopped: () => boolean): Promise<LandedFile[]> {
  const written: LandedFile[] = [];
  return new Promise((resolve) => {
    const tick = () => {
      if (stopped() || written.length === files.length) return resolve(written);
      const file = files[written.length]!;
      land(file);
      written.push(file);
      setTimeout(tick, WRITE_EVERY_MS);
    };
    tick();
  });
}

/** The drainer creates its lease table on its first run; a child killed before then left none. */
async function expireLease(registry: Registry): Promise<void> {
  const table = await registry.client.execute("SELECT 1 FROM sqlite_master WHERE name = '__astha_lease'");
  if (table.rows.length > 0) await registry.client.execute('UPDATE __astha_lease SET expires_at = 0');
}

async function ageOpenClaims(registry: Registry): Promise<void> {
  const longAgo = new Date(Date.now() - 3_600_000).toISOString();
  await registry.client.execute({
    sql: "UPDATE table_files SET updated_at = ? WHERE iceberg_state = 'committing'",
    args: [longAgo],
  });
}

/** Polls the registry until every landed file is in the table and nothing else is in flight. */
function waitUntilSettled(registry: Registry, expected: number, timeoutMs: number) {
  return waitForLanded(registry, expected, timeoutMs);
}

describe(`runtime killed at random points while files arrive (seed ${seed})`, () => {
  it(`loses nothing and commits nothing twice over ${RUNS} SIGKILLed runs`, {
    // Typically 50-90 s; the margin is for a CI machine starved by other work.
    timeout: 420_000,
  }, async () => {
    const random = seededRandom(seed);
    const files = scenarioFiles(`${TABLE.namespace}/${TABLE.name}`, FILES);
    let crashing = true;
    const writing = writeWhile(files, () => !crashing);
    // What each kill interrupted (files committed by then), reported so a run shows it reached commits.
    const kills: string[] = [];
    let registry: Registry | undefined;
    for (let run = 0; run < RUNS; run++) {
      const child = startAstha();
      const delay = Math.round(KILL_AFTER_MS.min + random() * (KILL_AFTER_MS.max - KILL_AFTER_MS.min));
      await new Promise((r) => setTimeout(r, delay));
      // A child that exited on its own crashed for a reason of its own: that is a failure.
      expect(child.process.exitCode, `run ${run} exited early (seed ${seed}): ${child.stderr()}`).toBeNull();
      child.process.kill('SIGKILL');
      await child.exited;
      // Opened once a child has created the registry, so the two never race on migrations.
      registry ??= await openRegistry(env.ASTHA_REGISTRY_URL!);
      // A killed drainer keeps its lease until the TTL (30 s) runs out, and no one commits
      // meanwhile. The holder is dead, so expiring its lease now is the same as waiting; most
      // runs do, so that kills also land in drains and commits. Every third run waits it out.
      if (run % 3 !== 2) await expireLease(registry);
      kills.push(`${delay} ms (${(await registry.status()).filesByState.committed} committed)`);
    }
    crashing = false;
    const written = await writing;

    console.log(`crash test seed ${seed}: ${written.length} files landed; killed after ${kills.join(', ')}`);

    // Claims of a killed committer whose snapshot never reached the table go back to pending
    // only once stale (5 minutes: a live committer could still write its metadata until then).
    // Every committer is dead now, so ageing their claims is the same as waiting.
    if (registry) await ageOpenClaims(registry);
    const last = startAstha();
    try {
      registry ??= await openRegistry(env.ASTHA_REGISTRY_URL!);
      const settled = await waitUntilSettled(registry, written.length, 150_000);
      // Stopped cleanly before comparing, so no compaction commits between the two reads.
      last.process.kill('SIGTERM');
      const stopped = await Promise.race([
        last.exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 60_000)),
      ]);
      expect(stopped, `astha did not stop within 60 s of SIGTERM (seed ${seed}): ${last.stderr()}`).toBe(
        true,
      );
      const unsettled = await registry.client.execute(
        "SELECT path, iceberg_state, target_snapshot_id, updated_at FROM table_files WHERE iceberg_state NOT IN ('committed', 'removed')",
      );
      const context = `seed ${seed}, ${written.length} files landed; unsettled: ${JSON.stringify(unsettled.rows)}`;
      expect(settled.files, context).toMatchObject({ inTable: written.length, inFlight: 0, rejected: 0 });
      expect(settled.backlog, context).toBe(0);

      // Each landed key registered once; each either live or replaced by a compaction (never
      // retracted: nothing was deleted).
      const rows = await registry.client.execute(
        'SELECT path, iceberg_state, retracted_at FROM table_files WHERE astha_written = 0 ORDER BY path',
      );
      const landedKeys = written.map((f) => f.key).sort();
      expect(
        rows.rows.map((r) => String(r.path)),
        context,
      ).toEqual(landedKeys);
      expect(rows.rows.filter((r) => r.retracted_at !== null)).toEqual([]);
      const live = await registry.client.execute(
        "SELECT path FROM table_files WHERE iceberg_state = 'committed' ORDER BY path",
      );

      const table = await registry.tableByName(TABLE.namespace, TABLE.name);
      const summary = await summarizeTable(table!.metadata_location!);
      const expectedIds = written.flatMap((f) => f.ids).sort((a, b) => a - b);
      expect(summary.ids, context).toEqual(expectedIds);
      expect(summary.rows, context).toBe(expectedIds.length);
      // The registry's live files are exactly the table's.
      expect(
        summary.files.map((path) => path.slice(path.indexOf(`${warehouse}/`) + warehouse.length + 1)).sort(),
        context,
      ).toEqual(live.rows.map((r) => String(r.path)));
      console.log(
        `crash test seed ${seed}: ${settled.files.compactedAway} files compacted into ${settled.files.outputs} outputs`,
      );
    } finally {
      registry?.close();
      if (last.process.exitCode === null) last.process.kill('SIGTERM');
      await last.exited;
    }
  });
});
