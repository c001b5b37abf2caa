/**
 * End to end on the embedded default: files land in a local warehouse directory, the watcher
 * notices them, and the same handlers Lambda runs register, drain and commit them; PyIceberg
 * then reads exactly what was written, with the evolved schema.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { silentLogger } from '../../lib/log.js';
import { type BuiltRuntime, buildRuntime } from '../../lib/runtime/runtimeFromConfig.js';
import { inParallel, scenarioFiles, summarizeTable } from './scenario.js';

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

/** Polls until `count` files are settled (committed or rejected) and nothing is in flight. */
async function waitForFiles(count: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await built.observer.status();
    const files = status.filesByState;
    if (
      files.committed + files.rejected >= count &&
      files.pending + files.committing === 0 &&
      status.cdc.backlog === 0
    ) {
      return status;
    }
    if (Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function currentMetadata(): Promise<string> {
  const table = await built.observer.tableByName('e2e', 'events');
  expect(table?.metadata_location).toBeTruthy();
  return table!.metadata_location!;
}

describe('embedded default end to end', () => {
  const files = scenarioFiles();

  it('registers, drains and commits 200 files from two writers; PyIceberg reads exactly them', {
    timeout: 240_000,
  }, async () => {
    await inParallel(files, 16, (f) => built.deps.store.put(f.key, f.body));
    const status = await waitForFiles(200, 150_000);
    expect(status.filesByState.committed).toBe(200);
    expect(status.filesByState.rejected).toBe(0);

    const summary = await summarizeTable(await currentMetadata());
    const expectedIds = files.flatMap((f) => f.ids).sort((a, b) => a - b);
    expect(summary.rows).toBe(expectedIds.length);
    expect(summary.ids).toEqual(expectedIds);
    expect(summary.columns).toEqual(expect.arrayContaining(['id', 'customer', 'amount', 'note', 'day']));
    expect(summary.non_null.note).toBe(files.filter((f) => f.hasNote).length * 5);
    expect(summary.files).toHaveLength(200);
  });

  it('drops a removed file from the next snapshot', { timeout: 120_000 }, async () => {
    const victim = files[3]!;
    const before = await currentMetadata();
    await built.deps.store.delete(victim.key);
    const deadline = Date.now() + 60_000;
    let summary: Awaited<ReturnType<typeof summarizeTable>> | undefined;
    while (Date.now() < deadline) {
      const now = await currentMetadata();
      if (now !== before) {
        summary = await summarizeTable(now);
        if (summary.files.length === 199) break;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    if (!summary) throw new Error('no snapshot without the removed file was committed within 60 s');
    expect(summary.files).toHaveLength(199);
    expect(summary.files.some((f) => f.endsWith(victim.key))).toBe(false);
    for (const id of victim.ids) expect(summary.ids).not.toContain(id);
    expect(summary.rows).toBe(995);
  });
});
