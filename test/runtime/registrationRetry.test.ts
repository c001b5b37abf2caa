/**
 * A file whose registration fails on every receive (the store answering 500s, a registry busy
 * for long) reaches the embedded registration queue's dead-letter queue. The local runtime takes
 * it back from there and the watcher announces the file again, so a file that landed is
 * registered while astha runs, not only after a restart.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import { MemoryQueue } from '../../lib/queue/memoryQueue.js';
import { openRegistry, type Registry } from '../../lib/registry/registry.js';
import { LocalRuntime } from '../../lib/runtime/localRuntime.js';
import { FsStore } from '../../lib/store/fsStore.js';
import { hyparquetFile } from '../conformance/astha.js';
import { FaultyStore, transient500 } from '../iceberg/commit/faultyStore.js';

let dir: string | undefined;
let registry: Registry | undefined;
let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.stop();
  registry?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function registeredNames(client: Registry['client']): Promise<string[]> {
  const result = await client.execute('SELECT path FROM table_files ORDER BY path');
  return result.rows.map((row) => String(row.path).split('/').at(-1)!);
}

describe('registration that gave up', () => {
  it('is announced again, and the file is registered while astha runs', async () => {
    dir = mkdtempSync(join(tmpdir(), 'astha-reannounce-'));
    const warehouse = join(dir, 'warehouse');
    for (const [name, seed] of [
      ['good.parquet', 1],
      ['flaky.parquet', 2],
    ] as const) {
      const path = join(warehouse, 'ns', 't', 'data', name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, hyparquetFile(5, seed));
    }
    registry = await openRegistry(`file:${join(dir, 'registry.db')}`);
    // Both receives of the flaky file's notification fail: it reaches the dead-letter queue.
    const store = new FaultyStore(new FsStore(warehouse)).inject({
      method: 'get',
      key: /flaky\.parquet$/,
      when: 'before',
      fault: transient500,
      times: 2,
    });
    const registrationDeadLetter = new MemoryQueue('registration-dlq');
    runtime = new LocalRuntime({
      registry,
      store,
      bucket: 'local',
      warehousePrefix: '',
      registrationQueue: new MemoryQueue('registration', {
        redrive: { deadLetterQueue: registrationDeadLetter, maxReceiveCount: 2 },
      }),
      registrationDeadLetter,
      componentQueues: {},
      components: [],
      logger: silentLogger(),
      watchDir: warehouse,
      scanIntervalMs: 300,
      failedVisibilitySeconds: 1,
    });
    runtime.start();

    const deadline = Date.now() + 30_000;
    let names: string[] = [];
    while (Date.now() < deadline) {
      names = await registeredNames(registry.client);
      if (names.length === 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(names).toEqual(['flaky.parquet', 'good.parquet']);
    expect(store.calls.get).toBeGreaterThanOrEqual(3);
    expect((await registrationDeadLetter.stats()).visible).toBe(0);
  }, 60_000);
});
