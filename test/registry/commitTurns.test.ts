/**
 * Commit turns (lib/registry/commitTurns.ts): the compactor's replace, after losing races to
 * appends, holds the table's commits for a moment; an append waits it out before claiming, and
 * a turn whose holder died runs out by itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CommitClock } from '../../lib/iceberg/commit/commitBackoff.js';
import { commitPending } from '../../lib/iceberg/commitPending.js';
import { currentTurn, endTurn, takeTurn } from '../../lib/registry/commitTurns.js';
import type { Registry } from '../../lib/registry/registry.js';
import { FsStore } from '../../lib/store/fsStore.js';
import { addOrderFiles, tempDir, tempRegistry } from '../iceberg/commit/commitFixtures.js';

const dirs: { remove(): void }[] = [];
const registries: Registry[] = [];
afterEach(() => {
  for (const registry of registries.splice(0)) registry.close();
  for (const dir of dirs.splice(0)) dir.remove();
});

async function tableWithPendingFiles() {
  const dir = tempDir('astha-commit-turns-');
  dirs.push(dir);
  const registry = await tempRegistry(dir.path);
  registries.push(registry);
  const store = new FsStore(`${dir.path}/warehouse`);
  await addOrderFiles(registry, store, { count: 2 });
  const tableId = (await registry.tableByName('sales', 'orders'))!.id;
  return { registry, store, tableId };
}

describe('commit turns', () => {
  it('are held until their end or their time, and only their holder ends them', async () => {
    const { registry, tableId } = await tableWithPendingFiles();
    const client = registry.client;
    expect(await currentTurn(client, tableId, 1_000)).toBeUndefined();
    await takeTurn(client, tableId, { holder: 'compactor', untilMs: 5_000 });
    expect(await currentTurn(client, tableId, 1_000)).toEqual({ holder: 'compactor', untilMs: 5_000 });
    // Run out: a holder that died holds nothing.
    expect(await currentTurn(client, tableId, 5_000)).toBeUndefined();
    await endTurn(client, tableId, 'someone-else');
    expect(await currentTurn(client, tableId, 1_000)).toBeDefined();
    await endTurn(client, tableId, 'compactor');
    expect(await currentTurn(client, tableId, 1_000)).toBeUndefined();
  });

  it('an append waits while another committer holds the turn, then commits', async () => {
    const { registry, store, tableId } = await tableWithPendingFiles();
    let now = 1_000_000;
    const sleeps: number[] = [];
    const clock: CommitClock = {
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
        // The holder finishes during the append's third wait.
        if (sleeps.length === 3) await endTurn(registry.client, tableId, 'compactor');
      },
    };
    await takeTurn(registry.client, tableId, { holder: 'compactor', untilMs: now + 60_000 });
    const result = await commitPending(tableId, { registry, store, clock });
    expect(result).toMatchObject({ filesAdded: 2 });
    expect(sleeps).toHaveLength(3);
    expect(await currentTurn(registry.client, tableId, now)).toBeUndefined();
  });

  it('an append waits no longer than its bound for a turn that is never ended', async () => {
    const { registry, store, tableId } = await tableWithPendingFiles();
    let now = 1_000_000;
    let waited = 0;
    const clock: CommitClock = {
      now: () => now,
      sleep: async (ms) => {
        waited += ms;
        now += ms;
      },
    };
    await takeTurn(registry.client, tableId, { holder: 'compactor', untilMs: now + 60_000 });
    expect(await commitPending(tableId, { registry, store, clock })).toMatchObject({ filesAdded: 2 });
    expect(waited).toBeGreaterThan(0);
    expect(waited).toBeLessThanOrEqual(3_000);
  });

  it('an append with no turn held does not wait', async () => {
    const { registry, store, tableId } = await tableWithPendingFiles();
    const sleeps: number[] = [];
    const clock: CommitClock = { now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms) };
    expect(await commitPending(tableId, { registry, store, clock })).toMatchObject({ filesAdded: 2 });
    expect(sleeps).toEqual([]);
  });
});
