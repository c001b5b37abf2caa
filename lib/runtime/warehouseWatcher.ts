/**
 * Notices data files landing in a local warehouse directory and turns them into the same
 * S3-style changes AWS would send. File-system events are only hints (they can be missed or
 * coalesced); a periodic scan of the store is the backstop and the source of truth. A file is
 * announced once it has been quiet for `quietMs`, so a writer still appending to it is not
 * registered half-written. Which keys are announced is the layout's rule
 * (`isRegistrationCandidate`), the same one `astha register` and S3 notifications go through, so
 * a key the watcher would skip is one registration ignores too, and the rest get a recorded outcome.
 */
import { errorMessage, StoreError } from '../errors.js';
import { isRegistrationCandidate } from '../layout/warehousePath.js';
import type { Logger } from '../log.js';
import type { ObjectChange } from '../register/s3Notification.js';
import type { ObjectInfo, ObjectStore } from '../store/objectStore.js';
import { type TreeWatcher, watchTree } from './directoryWatch.js';

export interface WarehouseWatcherOptions {
  store: ObjectStore;
  /** Bucket name the changes carry (the register function checks it). */
  bucket: string;
  /** The warehouse's key prefix in the bucket (`wh/`), put before store keys in the changes, as S3 would. */
  keyPrefix?: string;
  emit(changes: ObjectChange[]): Promise<void>;
  logger: Logger;
  /** Directory to watch for hints; omit to rely on scans alone. */
  watchDir?: string;
  /** Files already known (key → ETag), e.g. live files from the registry, so a restart does not re-announce them and removals while stopped are noticed. */
  known?: ReadonlyMap<string, string>;
  scanIntervalMs?: number;
  quietMs?: number;
  now?: () => number;
}

/** A full scan may run at most one part in this many of the time (see scheduleBackstop). */
const BACKSTOP_SHARE = 50;

export class WarehouseWatcher {
  private readonly known: Map<string, string>;
  private timer: NodeJS.Timeout | undefined;
  private hint: NodeJS.Timeout | undefined;
  private hintDue = Number.POSITIVE_INFINITY;
  /**
   * Keys named by file-system events (or still settling), checked without a full scan, each
   * with the time it is worth looking at: at once for a new hint, when it will have been
   * quiet long enough for a young file (not on every hint meanwhile: a stream of landings
   * would have every young file looked at again each time another one lands).
   */
  private readonly dirty = new Map<string, number>();
  private fullPending = false;
  private tree: TreeWatcher | undefined;
  /** The full scan in flight. Hinted keys are checked beside it, so a long scan never holds up a landing. */
  private scanning: Promise<void> | undefined;
  /** The hinted-key check in flight, and its keys. */
  private checking: Promise<void> | undefined;
  private checkingKeys: readonly string[] = [];
  /**
   * Keys a check looked at while the scan in flight runs: the check's view of them is newer
   * than the listing's, so the scan neither announces nor removes them.
   */
  private touched: Set<string> | undefined;
  private stopped = true;
  /** True once a full scan has run to its end and announced what it found. */
  private fullScanDone = false;

  constructor(private readonly options: WarehouseWatcherOptions) {
    this.known = new Map(options.known ?? []);
  }

  start(): void {
    this.stopped = false;
    if (this.options.watchDir) {
      this.tree = watchTree(this.options.watchDir, {
        // The name is a hint: that one key is checked at once; without a name, a full scan.
        onChange: (path) => {
          if (path) {
            if (!this.dirty.has(path)) this.dirty.set(path, 0);
          } else this.fullPending = true;
          this.scheduleWork(20);
        },
        onError: (error) => {
          this.options.logger.warn(
            { err: errorMessage(error) },
            'file watching failed; relying on periodic scans',
          );
        },
        // Tables' metadata folders change with every commit and hold no data files.
        skip: (path) => /^[^/]+\/[^/]+\/metadata$/.test(path),
      });
    }
    this.fullPending = true;
    this.scheduleWork(0);
  }

  /**
   * Whether a full scan has finished since start, its changes handed to `emit`: only then does
   * what the registry knows reflect what is in the warehouse (files added or deleted while
   * astha was stopped included), and no key it deferred (too young, or hinted since) waits for
   * another look.
   */
  get scanned(): boolean {
    return (
      this.fullScanDone && this.dirty.size === 0 && this.scanning === undefined && this.checking === undefined
    );
  }

  /**
   * Forgets bucket keys whose announcement was given up on (their registration message reached
   * the dead-letter queue, say while the registry was busy), so they are announced again: a
   * file that landed is never left unregistered while astha runs.
   */
  forget(bucketKeys: readonly string[]): void {
    const prefix = this.options.keyPrefix ?? '';
    for (const bucketKey of bucketKeys) {
      if (!bucketKey.startsWith(prefix)) continue;
      const key = bucketKey.slice(prefix.length);
      this.known.delete(key);
      this.dirty.set(key, 0);
    }
    this.scheduleWork(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.hint);
    this.tree?.close();
    await Promise.all([this.scanning, this.checking]);
  }

  /** One full scan: announces new, changed (and quiet) and vanished data files. */
  async scanOnce(): Promise<ObjectChange[]> {
    const now = this.options.now ?? Date.now;
    const quietMs = this.options.quietMs ?? 250;
    const seen = new Set<string>();
    const changes: ObjectChange[] = [];
    for await (const object of this.options.store.list('')) {
      if (!isRegistrationCandidate(object.key)) continue;
      seen.add(object.key);
      if (this.touched?.has(object.key)) continue;
      // The registry keeps ETags bare; some stores quote them.
      const etag = object.etag.replace(/^"(.*)"$/, '$1');
      if (this.known.get(object.key) === etag) continue;
      const age = now() - object.lastModified.getTime();
      if (age < quietMs) {
        this.dirty.set(object.key, now() + quietMs - age);
        continue;
      }
      this.known.set(object.key, etag);
      changes.push(this.change('created', object.key, object.size, etag, object.lastModified));
    }
    for (const key of [...this.known.keys()]) {
      if (seen.has(key) || this.touched?.has(key)) continue;
      this.known.delete(key);
      changes.push(this.change('removed', key, 0, '', new Date(now())));
    }
    if (changes.length > 0) await this.options.emit(changes);
    return changes;
  }

  /** Checks named keys only (file-system hints): new or changed quiet files, and vanished ones. */
  async checkKeys(keys: Iterable<string>): Promise<ObjectChange[]> {
    const now = this.options.now ?? Date.now;
    const quietMs = this.options.quietMs ?? 250;
    const changes: ObjectChange[] = [];
    for (const key of keys) {
      if (!isRegistrationCandidate(key)) continue;
      this.touched?.add(key);
      const object = await this.headOf(key);
      if (object === 'unaddressable') continue;
      if (!object) {
        if (this.known.delete(key)) changes.push(this.change('removed', key, 0, '', new Date(now())));
        continue;
      }
      const etag = object.etag.replace(/^"(.*)"$/, '$1');
      if (this.known.get(key) === etag) continue;
      const age = now() - object.lastModified.getTime();
      if (age < quietMs) {
        this.dirty.set(key, now() + quietMs - age);
        continue;
      }
      this.known.set(key, etag);
      changes.push(this.change('created', key, object.size, etag, object.lastModified));
    }
    if (changes.length > 0) await this.options.emit(changes);
    return changes;
  }

  /**
   * The object at a hinted key; 'unaddressable' for names the store itself never lists (its own
   * temporary and lock files carry a backslash), which file-system events report all the same.
   */
  private async headOf(key: string): Promise<ObjectInfo | undefined | 'unaddressable'> {
    try {
      return await this.options.store.head(key);
    } catch (error) {
      if (error instanceof StoreError && error.code === 'invalid_key') return 'unaddressable';
      throw error;
    }
  }

  private change(
    kind: 'created' | 'removed',
    key: string,
    size: number,
    etag: string,
    at: Date,
  ): ObjectChange {
    const base = {
      bucket: this.options.bucket,
      key: `${this.options.keyPrefix ?? ''}${key}`,
      sequencer: at.getTime().toString(16).padStart(16, '0'),
    };
    const eventTime = at.toISOString();
    return kind === 'created' ? { kind, ...base, size, etag, eventTime } : { kind, ...base, eventTime };
  }

  /**
   * The next full scan: every `scanIntervalMs`, or later when scans get long (a warehouse of
   * many files), so the backstop never takes more than 1/BACKSTOP_SHARE of the process's time
   * from the work it backs up; file-system hints are checked meanwhile as they come.
   */
  private scheduleBackstop(lastScanMs: number): void {
    clearTimeout(this.timer);
    const interval = Math.max(this.options.scanIntervalMs ?? 5_000, lastScanMs * BACKSTOP_SHARE);
    this.timer = setTimeout(() => {
      this.fullPending = true;
      this.scheduleWork(0);
    }, interval);
  }

  /** Runs pending work after `delayMs`, unless work is already due sooner (hints must not starve it). */
  private scheduleWork(delayMs: number): void {
    if (this.stopped) return;
    const due = Date.now() + delayMs;
    if (this.hint !== undefined && this.hintDue <= due) return;
    clearTimeout(this.hint);
    this.hintDue = due;
    this.hint = setTimeout(() => {
      this.hint = undefined;
      this.hintDue = Number.POSITIVE_INFINITY;
      this.runWork();
    }, delayMs);
  }

  /** Starts what is due: a full scan when one is pending, a check of the hinted keys that are due. */
  private runWork(): void {
    if (this.stopped) return;
    if (this.fullPending && !this.scanning) this.startScan();
    if (!this.checking) {
      const keys = this.dueKeys((this.options.now ?? Date.now)());
      if (keys.length > 0) this.startCheck(keys);
    }
    // Nothing due yet (a hint's timer fired before a young key's time): wait for that time.
    this.scheduleRest();
  }

  private startScan(): void {
    this.fullPending = false;
    const started = Date.now();
    // The listing covers every key hinted so far, but the keys of a check in flight are its to
    // decide: one it already found young waits in `dirty` for its next look, which must stay.
    const checking = new Set(this.checkingKeys);
    for (const key of [...this.dirty.keys()]) if (!checking.has(key)) this.dirty.delete(key);
    this.touched = checking;
    this.scanning = this.scanOnce()
      .then(() => {
        this.fullScanDone = true;
      })
      .catch((error) => this.options.logger.error({ err: errorMessage(error) }, 'warehouse scan failed'))
      .finally(() => {
        this.scanning = undefined;
        this.touched = undefined;
        if (this.stopped) return;
        this.scheduleBackstop(Date.now() - started);
        this.scheduleRest();
      });
  }

  private startCheck(keys: readonly string[]): void {
    this.checkingKeys = keys;
    this.checking = this.checkKeys(keys)
      .then(() => undefined)
      .catch((error) => this.options.logger.error({ err: errorMessage(error) }, 'warehouse check failed'))
      .finally(() => {
        this.checking = undefined;
        this.checkingKeys = [];
        if (!this.stopped) this.scheduleRest();
      });
  }

  /** After a piece of work: what is pending now runs at once, young keys when they are due. */
  private scheduleRest(): void {
    if (this.fullPending && !this.scanning) {
      this.scheduleWork(0);
      return;
    }
    if (this.dirty.size === 0 || this.checking) return;
    const now = (this.options.now ?? Date.now)();
    this.scheduleWork(Math.max(0, Math.min(...this.dirty.values()) - now));
  }

  /** Takes the hinted keys due by `at` out of `dirty`. */
  private dueKeys(at: number): string[] {
    const due: string[] = [];
    for (const [key, when] of this.dirty) {
      if (when > at) continue;
      due.push(key);
      this.dirty.delete(key);
    }
    return due;
  }
}
