/**
 * Another process holding a `file:` registry's write lock: registration waits (busy timeout,
 * then asynchronous retries) and succeeds once the lock is released. The driver leaves a
 * statement that failed with SQLITE_BUSY un-reset, which would make every later COMMIT on the
 * connection fail; this shows the registry recovers from that.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { openRegistry } from '../../lib/registry/registry.js';
import { FsStore } from '../../lib/store/fsStore.js';
import { ordersParquet } from './parquetFiles.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(`${line}\n`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code} before "${line}"`)));
  });
}

test('a registration waits out another process holding the lock, then commits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'astha-lock-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const url = `file:${join(dir, 'registry.db')}`;
  const registry = await openRegistry(url, { busyTimeoutMs: 20 });
  cleanups.push(() => registry.close());
  const store = new FsStore(join(dir, 'warehouse'));
  const info = await store.put('sales/orders/data/a.parquet', ordersParquet(3));
  const event = { bucket: 'lake', key: 'sales/orders/data/a.parquet', size: info.size, etag: info.etag };

  const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'registry', 'lockHolder.ts'), url], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  cleanups.push(() => child.kill('SIGKILL'));
  await waitForLine(child, 'locked');

  const registering = registry.registerObject(event, store);
  // Long enough for several busy attempts (each waits 20 ms on the lock, then backs off).
  await new Promise((resolve) => setTimeout(resolve, 500));
  const released = waitForLine(child, 'released');
  child.stdin?.write('go\n');
  await released;

  expect(await registering).toMatchObject({ status: 'registered' });
  const namespaces = await registry.client.execute('SELECT name FROM namespaces ORDER BY name');
  expect(namespaces.rows.map((r) => r.name)).toEqual(['held_by_other_process', 'sales']);
});
