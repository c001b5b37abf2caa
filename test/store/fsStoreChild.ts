/**
 * A separate process working on an FsStore, for the cross-process tests. It prints
 * `ready`, waits for a line on stdin (so all children start together), does its job and
 * prints one JSON line with the outcome.
 *
 *   fsStoreChild.ts <root> putIfAbsent <keyPrefix> <keys>   (races on <keyPrefix>0 .. <keyPrefix><keys-1>)
 *   fsStoreChild.ts <root> increment <key> <times>
 */
import { createInterface } from 'node:readline';
import { StoreError } from '../../lib/errors.js';
import { FsStore } from '../../lib/store/fsStore.js';
import { incrementCounter } from './objectStoreContract.js';

async function run(store: FsStore, job: string, key: string, arg: string): Promise<unknown> {
  if (job === 'putIfAbsent') {
    // Many keys in a row, so 16 processes overlap on many races, not on one lucky one.
    const outcomes: Array<{ won: boolean; code?: string; retryable?: boolean }> = [];
    for (let i = 0; i < Number(arg); i += 1) {
      try {
        await store.putIfAbsent(`${key}${i}`, `process ${process.pid}`);
        outcomes.push({ won: true });
      } catch (error) {
        if (!(error instanceof StoreError)) throw error;
        outcomes.push({ won: false, code: error.code, retryable: error.retryable });
      }
    }
    return { pid: process.pid, outcomes };
  }
  if (job === 'increment') {
    let attempts = 0;
    for (let i = 0; i < Number(arg); i += 1) attempts += await incrementCounter(store, key);
    return { attempts };
  }
  throw new Error(`unknown job ${job}`);
}

async function main(): Promise<void> {
  const [root, job, key, arg] = process.argv.slice(2);
  if (!root || !job || !key || arg === undefined)
    throw new Error('usage: fsStoreChild <root> <job> <key> <arg>');
  const store = new FsStore(root);
  const lines = createInterface({ input: process.stdin });
  const go = new Promise((resolve) => lines.once('line', resolve));
  process.stdout.write('ready\n');
  await go;
  lines.close();
  process.stdout.write(`${JSON.stringify(await run(store, job, key, arg))}\n`);
}

await main();
