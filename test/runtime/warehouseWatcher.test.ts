import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import type { ObjectChange } from '../../lib/register/s3Notification.js';
import { WarehouseWatcher } from '../../lib/runtime/warehouseWatcher.js';
import type { ObjectStore } from '../../lib/store/objectStore.js';
import { openStore } from '../../lib/store/openStore.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'astha-watch-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(key: string, body = 'PAR1...PAR1') {
  mkdirSync(dirname(join(dir, key)), { recursive: true });
  writeFileSync(join(dir, key), body);
}

interface WatcherOptions {
  quietMs?: number;
  now?: () => number;
  /** Watch the directory for file-system hints (start() needed). */
  watch?: boolean;
  scanIntervalMs?: number;
  /** Another view of the warehouse (a slow listing, say). */
  store?: ObjectStore;
}

function watcher(emitted: ObjectChange[], options: WatcherOptions = {}) {
  return new WarehouseWatcher({
    store: options.store ?? openStore(`file://${dir}`),
    bucket: 'local',
    logger: silentLogger(),
    emit: async (changes) => {
      emitted.push(...changes);
    },
    quietMs: options.quietMs ?? 0,
    ...(options.now ? { now: options.now } : {}),
    ...(options.watch ? { watchDir: dir } : {}),
    ...(options.scanIntervalMs ? { scanIntervalMs: options.scanIntervalMs } : {}),
  });
}

/** A promise the test resolves when it chooses: `fire()` resolves `fired`. */
function signal(): { fired: Promise<void>; fire(): void } {
  let fire: () => void = () => undefined;
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fired, fire: () => fire() };
}

/**
 * The watcher's scheduling state, for tests that drive it step by step: marked running (as
 * `start()` would) without file-system events or a first scan, so no timer fires in between.
 */
function steppedByHand(w: WarehouseWatcher) {
  const inside = w as unknown as {
    stopped: boolean;
    dirty: Map<string, number>;
    fullPending: boolean;
    scanning?: Promise<void>;
    checking?: Promise<void>;
    runWork(): void;
  };
  inside.stopped = false;
  return inside;
}

describe('WarehouseWatcher.scanOnce', () => {
  it('announces new, changed and removed data files once each', async () => {
    const emitted: ObjectChange[] = [];
    const w = watcher(emitted);
    write('sales/orders/data/a.parquet');
    write('sales/orders/data/.tmp.parquet');
    write('sales/orders/metadata/v1.metadata.json', '{}');
    expect((await w.scanOnce()).map((c) => `${c.kind}:${c.key}`)).toEqual([
      'created:sales/orders/data/a.parquet',
    ]);
    expect(await w.scanOnce()).toEqual([]);

    write('sales/orders/data/a.parquet', 'PAR1 rewritten PAR1');
    const [changed] = await w.scanOnce();
    expect(changed?.kind).toBe('created');
    expect(changed?.kind === 'created' && changed.size).toBe(19);

    rmSync(join(dir, 'sales/orders/data/a.parquet'));
    expect((await w.scanOnce()).map((c) => `${c.kind}:${c.key}`)).toEqual([
      'removed:sales/orders/data/a.parquet',
    ]);
    expect(emitted).toHaveLength(3);
  });

  it("skips hints for the store's own temporary and lock names, which it cannot address", async () => {
    const emitted: ObjectChange[] = [];
    const w = watcher(emitted);
    write('sales/orders/data/a.parquet');
    const hinted = [
      'sales/orders/metadata/\\tmp-1-abc',
      'sales/orders/data/\\lock-1',
      'sales/orders/data/a.parquet',
    ];
    expect((await w.checkKeys(hinted)).map((c) => c.key)).toEqual(['sales/orders/data/a.parquet']);
  });

  it('waits until a file has been quiet before announcing it', async () => {
    const emitted: ObjectChange[] = [];
    let now = Date.now();
    const w = watcher(emitted, { quietMs: 60_000, now: () => now });
    write('sales/orders/data/a.parquet');
    expect(await w.scanOnce()).toEqual([]);
    now += 61_000;
    expect((await w.scanOnce()).map((c) => c.key)).toEqual(['sales/orders/data/a.parquet']);
  });

  it('picks up a file written while running, through events or the scan', async () => {
    const emitted: ObjectChange[] = [];
    const w = watcher(emitted, { watch: true, quietMs: 20, scanIntervalMs: 200 });
    w.start();
    try {
      write('ns/t/data/x=1/late.parquet');
      for (let i = 0; i < 100 && emitted.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(emitted.map((c) => c.key)).toEqual(['ns/t/data/x=1/late.parquet']);
    } finally {
      await w.stop();
    }
  });

  it('looks at a young file again when it will be quiet, not on every hint that comes meanwhile', async () => {
    const store = openStore(`file://${dir}`);
    const heads = new Map<string, number>();
    const counting = Object.assign(Object.create(store) as typeof store, {
      head: (key: string) => {
        heads.set(key, (heads.get(key) ?? 0) + 1);
        return store.head(key);
      },
    });
    const emitted: ObjectChange[] = [];
    const w = new WarehouseWatcher({
      store: counting,
      bucket: 'local',
      logger: silentLogger(),
      emit: async (changes) => {
        emitted.push(...changes);
      },
      watchDir: dir,
      quietMs: 600,
      scanIntervalMs: 600_000,
    });
    mkdirSync(join(dir, 'ns/t/data'), { recursive: true });
    w.start();
    try {
      await new Promise((r) => setTimeout(r, 100));
      write('ns/t/data/first.parquet');
      for (let i = 0; i < 10; i++) {
        await new Promise((r) => setTimeout(r, 30));
        write(`ns/t/data/other-${i}.parquet`);
      }
      for (let i = 0; i < 100 && emitted.length < 11; i++) await new Promise((r) => setTimeout(r, 50));
      expect(emitted.map((c) => c.key)).toContain('ns/t/data/first.parquet');
      expect(emitted).toHaveLength(11);
      // Once when its hint came (young), once when it had been quiet for 600 ms.
      expect(heads.get('ns/t/data/first.parquet')).toBe(2);
    } finally {
      await w.stop();
    }
  });

  it('spaces full scans by their cost, so a slow listing never takes more than a sliver of the time', async () => {
    write('ns/t/data/a.parquet');
    const store = openStore(`file://${dir}`);
    let scans = 0;
    const slowStore = Object.assign(Object.create(store) as typeof store, {
      async *list(prefix: string) {
        scans++;
        await new Promise((r) => setTimeout(r, 40));
        yield* store.list(prefix);
      },
    });
    const emitted: ObjectChange[] = [];
    const w = watcher(emitted, { store: slowStore, scanIntervalMs: 10 });
    w.start();
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      // Every 10 ms after a 40 ms listing would be ~20 scans; 50 × 40 ms apart is one.
      expect(emitted.map((c) => c.key)).toEqual(['ns/t/data/a.parquet']);
      expect(scans).toBe(1);
    } finally {
      await w.stop();
    }
  });

  it('announces a landing while a long full scan runs, and that scan does not call it removed', async () => {
    write('ns/t/data/old.parquet');
    const store = openStore(`file://${dir}`);
    const gate = signal();
    let listings = 0;
    // The first listing is taken, then held: a scan of a large warehouse that has passed the
    // directory before a file lands in it.
    const slowStore = Object.assign(Object.create(store) as typeof store, {
      async *list(prefix: string) {
        listings++;
        const snapshot = [];
        for await (const object of store.list(prefix)) snapshot.push(object);
        if (listings === 1) await gate.fired;
        yield* snapshot;
      },
    });
    const emitted: ObjectChange[] = [];
    const w = watcher(emitted, { store: slowStore, watch: true, scanIntervalMs: 600_000 });
    w.start();
    try {
      await new Promise((r) => setTimeout(r, 100));
      write('ns/t/data/new.parquet');
      for (let i = 0; i < 100 && emitted.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(emitted.map((c) => `${c.kind}:${c.key}`)).toEqual(['created:ns/t/data/new.parquet']);
      expect(w.scanned).toBe(false);
      gate.fire();
      for (let i = 0; i < 100 && !w.scanned; i++) await new Promise((r) => setTimeout(r, 20));
      expect(w.scanned).toBe(true);
      expect(emitted.map((c) => `${c.kind}:${c.key}`).sort()).toEqual([
        'created:ns/t/data/new.parquet',
        'created:ns/t/data/old.parquet',
      ]);
    } finally {
      gate.fire();
      await w.stop();
    }
  });

  it('a pass that finds nothing due yet still comes back when a young file will be quiet', async () => {
    write('ns/t/data/young.parquet');
    const emitted: ObjectChange[] = [];
    const w = watcher(emitted, { quietMs: 300, scanIntervalMs: 600_000 });
    const inside = steppedByHand(w);
    try {
      // As when a hint's timer fires before the young file's time: nothing is due at this pass.
      inside.dirty.set('ns/t/data/young.parquet', Date.now() + 300);
      inside.runWork();
      for (let i = 0; i < 60 && emitted.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(emitted.map((c) => c.key)).toEqual(['ns/t/data/young.parquet']);
    } finally {
      await w.stop();
    }
  });

  it('a young file a running check already looked at still waits for its next look when a full scan starts', async () => {
    write('ns/t/data/first.parquet');
    const store = openStore(`file://${dir}`);
    const gate = signal();
    const headedSecond = signal();
    const slowHead = Object.assign(Object.create(store) as typeof store, {
      async head(key: string) {
        if (key.endsWith('second.parquet')) {
          headedSecond.fire();
          await gate.fired;
        }
        return store.head(key);
      },
    });
    const w = watcher([], { store: slowHead, quietMs: 60_000, scanIntervalMs: 600_000 });
    // Driven step by step (no file-system events, no timers firing in between).
    const inside = steppedByHand(w);
    try {
      inside.dirty.set('ns/t/data/first.parquet', 0);
      inside.dirty.set('ns/t/data/second.parquet', 0);
      inside.runWork(); // a check of both: first is young, second's look hangs
      await headedSecond.fired;
      expect(inside.dirty.has('ns/t/data/first.parquet')).toBe(true);
      inside.fullPending = true;
      inside.runWork(); // a full scan starts while the check is in flight
      await inside.scanning;
      gate.fire();
      await inside.checking;
      // Still waiting to be announced once quiet; lost, it would wait for the next full scan.
      expect(inside.dirty.has('ns/t/data/first.parquet')).toBe(true);
      expect(w.scanned).toBe(false);
    } finally {
      gate.fire();
      await w.stop();
    }
  });

  it('announces a steady stream of files from file-system hints alone, without waiting for a full scan', async () => {
    const emitted: ObjectChange[] = [];
    // Only the first scan is a full one: everything after must come from the hints.
    const w = watcher(emitted, { watch: true, quietMs: 20, scanIntervalMs: 600_000 });
    w.start();
    try {
      await new Promise((r) => setTimeout(r, 100));
      // Files 10 ms apart for well over a second: a debounce that restarts on every event
      // would not fire until the stream stops, so the early files must be out while it goes on.
      let emittedMidStream = 0;
      for (let i = 0; i < 150; i++) {
        write(`ns/t/data/f${String(i).padStart(3, '0')}.parquet`);
        if (i === 120) emittedMidStream = emitted.length;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(emittedMidStream).toBeGreaterThanOrEqual(60);
      for (let i = 0; i < 200 && emitted.length < 150; i++) await new Promise((r) => setTimeout(r, 50));
      expect(new Set(emitted.map((c) => c.key)).size).toBe(150);
    } finally {
      await w.stop();
    }
  });
});
