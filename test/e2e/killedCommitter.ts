/**
 * A committer killed mid-commit, for killedCommit.test.ts: it claims the table's pending files
 * (commitPending on the warehouse's FsStore), starts writing the next metadata file (so its temp
 * file is under metadata/), prints `claimed` and waits to be SIGKILLed.
 *
 *   killedCommitter.ts <registry url> <warehouse dir> <table id>
 */
import { commitPending } from '../../lib/iceberg/commitPending.js';
import { openRegistry } from '../../lib/registry/registry.js';
import { FsStore } from '../../lib/store/fsStore.js';
import { type ObjectStore, toBytes } from '../../lib/store/objectStore.js';

const [url, dir, tableId] = process.argv.slice(2);
if (!url || !dir || !tableId)
  throw new Error('usage: killedCommitter <registry url> <warehouse dir> <table id>');
const registry = await openRegistry(url);
const store = new FsStore(dir);
const hanging = new Proxy(store, {
  get(target, property) {
    if (property === 'putIfAbsent') {
      return async (key: string, body: Uint8Array | string) => {
        const upload = target.upload(key);
        await upload.write(toBytes(body));
        process.stdout.write('claimed\n');
        await new Promise(() => undefined);
      };
    }
    const value: unknown = Reflect.get(target, property, target);
    return typeof value === 'function' ? value.bind(target) : value;
  },
}) as ObjectStore;
await commitPending(Number(tableId), { registry, store: hanging });
