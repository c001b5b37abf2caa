/**
 * End to end on the embedded default: files land in a local warehouse directory, the watcher
 * notices them, and the same handlers Lambda runs register, drain and commit them, and the
 * compactor folds the small files of each partition together; PyIceberg then reads exactly what
 * was written, with the evolved schema. A file deleted after it was compacted still leaves the table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { silentLogger } from '../../lib/log.js';
import { type BuiltRuntime, buildRuntime } from '../../lib/runtime/runtimeFromConfig.js';
import {
  inParallel,
  pollUntil,
  scenarioFiles,
  summarizeTable,
  userFiles,
  waitForLanded,
} from './scenario.js';

let dir: string;
let built: BuiltRuntime;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'astha-e2e-'));
  const config = loadConfig({
    ASTHA_REGISTRY_URL: `file:${join(dir, 'registry.db')}`,
    ASTHA_WAREHOUSE: `file://${join(dir, 'warehouse')}`,
  });
  built = await buildRuntime(config, silentLogger(), { drainPeriodMs: 1000, scanIntervalMs: 500 });
  built.runtime.start(built.known);
});

afterAll(async () => {
  await built?.runtime.stop();
  built?.deps.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Polls until `count` landed files are in the table (or rejected) and nothing is in flight. */
function waitForFiles(count: number, timeoutMs: number) {
  return waitForLanded(built.observer, count, timeoutMs);
}

async function currentMetadata(): Promise<string> {
  const table = await built.observer.tableByName('e2e', 'events');
  expect(table?.metadata_location).toBeTruthy();
  return table!.metadata_location!;
}

describe('embedded default end to end', () => {
  const files = scenarioFiles();

  it('registers, drains, commits and compacts 200 files from two writers; PyIceberg reads exactly them', {
    timeout: 240_000,
  }, async () => {
    await inParallel(files, 16, (f) => built.deps.store.put(f.key, f.body));
    const settled = await waitForFiles(200, 150_000);
    expect(settled.files).toMatchObject({ inTable: 200, rejected: 0, inFlight: 0 });
    // Four day partitions of 50 tiny files each: the compactor folds them together.
    const compacted = await pollUntil(
      () => userFiles(built.observer),
      (f) => f.compactedAway > 0,
      60_000,
    );
    expect(compacted.compactedAway).toBeGreaterThan(0);

    const summary = await summarizeTable(await currentMetadata());
    const expectedIds = files.flatMap((f) => f.ids).sort((a, b) => a - b);
    expect(summary.rows).toBe(expectedIds.length);
    expect(summary.ids).toEqual(expectedIds);
    expect(summary.columns).toEqual(expect.arrayContaining(['id', 'customer', 'amount', 'note', 'day']));
    expect(summary.non_null.note).toBe(files.filter((f) => f.hasNote).length * 5);
    // Every live file is a landed one or a compaction output, each landed key at most once.
    expect(summary.files.length).toBeLessThan(200);
    const landed = summary.files.filter((f) => !f.includes('/_astha-compacted-'));
    expect(new Set(landed).size).toBe(landed.length);
    expect(landed.length).toBeLessThan(200);
  });

  it("drops a deleted file's rows from the table after it was compacted", { timeout: 120_000 }, async () => {
    // A file the compactor already replaced: its rows must leave the compaction output.
    const replaced = await built.observer.client.execute(
      `SELECT path FROM table_files WHERE astha_written = 0 AND iceberg_state = 'removed'
        AND EXISTS (SELECT 1 FROM compacted_rows c WHERE c.source_file_id = table_files.id) ORDER BY id LIMIT 1`,
    );
    const victim = files.find((f) => f.key === String(replaced.rows[0]?.path))!;
    expect(victim).toBeDefined();
    const before = await currentMetadata();
    await built.deps.store.delete(victim.key);
    const deadline = Date.now() + 60_000;
    let summary: Awaited<ReturnType<typeof summarizeTable>> | undefined;
    let seen = before;
    while (Date.now() < deadline) {
      const now = await currentMetadata();
      if (now !== seen) {
        seen = now;
        summary = await summarizeTable(now);
        if (summary.rows === 995) break;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    if (!summary) throw new Error('no snapshot without the removed file was committed within 60 s');
    expect(summary.files.some((f) => f.endsWith(victim.key))).toBe(false);
    for (const id of victim.ids) expect(summary.ids).not.toContain(id);
    expect(summary.rows).toBe(995);
  });
});
