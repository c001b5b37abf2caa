/**
 * A registry (real libSQL file) and a memory warehouse with one table `sales.orders`, its
 * properties set, for the commit-policy and component tests; a clock that can be moved forward.
 */
import type { CommitClock } from '../../lib/iceberg/commit/commitBackoff.js';
import type { Registry } from '../../lib/registry/registry.js';
import { MemoryStore } from '../../lib/store/memoryStore.js';
import { addOrderFiles, fileStates, tempDir, tempRegistry } from '../iceberg/commit/commitFixtures.js';

export interface PolicyLake {
  registry: Registry;
  store: MemoryStore;
  tableId: number;
  clock: CommitClock & { advance(ms: number): void };
  /** Registers `count` more order files (ids continue). */
  land(count: number): Promise<void>;
  states(): Promise<Record<string, number>>;
  remove(): void;
}

export async function policyLake(properties: Record<string, string>): Promise<PolicyLake> {
  const dir = tempDir('astha-policy-');
  const registry = await tempRegistry(dir.path);
  const store = new MemoryStore();
  let offset = 0;
  let nextId = 1;
  const land = async (count: number) => {
    await addOrderFiles(registry, store, { count, rows: 2, firstId: nextId, tag: `f${nextId}` });
    nextId += count * 2;
  };
  // The table and its definition row appear with the first file.
  await land(1);
  const tableId = (await registry.tableByName('sales', 'orders'))!.id;
  await registry.client.execute({
    sql: 'UPDATE table_metadata SET properties_json = ? WHERE table_id = ?',
    args: [JSON.stringify(properties), tableId],
  });
  return {
    registry,
    store,
    tableId,
    clock: {
      now: () => Date.now() + offset,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      advance: (ms) => {
        offset += ms;
      },
    },
    land,
    states: () => fileStates(registry, tableId),
    remove: () => {
      registry.close();
      dir.remove();
    },
  };
}
