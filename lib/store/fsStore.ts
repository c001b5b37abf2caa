/**
 * ObjectStore on a local directory (the embedded default's warehouse). Key `a/b.parquet`
 * is the file `<root>/a/b.parquet`, so other tools can read the warehouse directly.
 *
 * Concurrency, also across processes:
 * - every write lands in a temp file in the key's directory and becomes visible atomically
 *   (rename, or link for putIfAbsent, which fails with EEXIST when the key exists);
 * - put, putIfMatch and delete hold a per-key lock file (exclusive create, stale locks of dead
 *   or stuck owners are broken), so an ETag compared under the lock is still current when the
 *   rename happens.
 * Temp and lock files have a backslash in their name: validateKey rejects backslashes, so no
 * user key can collide with them, and `list` skips them.
 *
 * ETag = inode, mtime (ns) and size of the file. Every write sets the new file's mtime itself:
 * strictly later than the version it replaces (so an inode reused within one clock tick
 * cannot bring an old ETag back) and with random sub-millisecond digits (so a delete and
 * re-create is unlikely to repeat one either).
 */
import { randomBytes, createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import {
  type FileHandle,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rmdir,
  stat,
  unlink,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StoreError } from '../errors.js';
import { processAlive } from '../processLiveness.js';
import {
  compareKeys,
  type GetOptions,
  guardedUpload,
  type ListedObject,
  type ObjectInfo,
  type ObjectStore,
  type ObjectUpload,
  otherVersion,
  resolveRange,
  sameEtag,
  toBytes,
  validateKey,
  validatePrefix,
} from './objectStore.js';

/** The mark of our own temp and lock files; never part of a valid key. */
const RESERVED_MARK = '\\';
/** A lock older than this is from a stuck or crashed owner (a lock is held for one stat + rename). */
const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 30_000;
/** Keeps successive mtimes apart by more than the ~240 ns precision of utimes' double seconds. */
const MIN_MTIME_STEP_NS = 2_000n;

export class FsStore implements ObjectStore {
  readonly url: string;
  readonly root: string;

  constructor(rootDir: string) {
    this.root = resolve(rootDir);
    this.url = pathToFileURL(this.root).href;
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const handle = await this.openForRead(key);
    try {
      // Size, version and bytes come from the same open file, so a concurrent rename cannot mix versions.
      const stats = await handle.stat({ bigint: true });
      if (options.ifMatch !== undefined && !sameEtag(etagOf(stats), options.ifMatch))
        throw otherVersion(key, options.ifMatch, etagOf(stats));
      const size = Number(stats.size);
      const { start, end } = options.range ? resolveRange(options.range, size, key) : { start: 0, end: size };
      const buffer = new Uint8Array(end - start);
      let done = 0;
      while (done < buffer.length) {
        const { bytesRead } = await handle.read(buffer, done, buffer.length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === buffer.length ? buffer : buffer.slice(0, done);
    } finally {
      await handle.close();
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const stats = await fileStats(this.pathOf(key));
    return stats ? objectInfo(key, stats) : undefined;
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    validatePrefix(prefix);
    yield* this.walk(prefix.slice(0, prefix.lastIndexOf('/') + 1), prefix);
  }

  async put(key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    const path = this.pathOf(key);
    return this.replace(key, path, body, async () => await fileStats(path));
  }

  async putIfMatch(key: string, body: Uint8Array | string, etag: string): Promise<ObjectInfo> {
    const path = this.pathOf(key);
    return this.replace(key, path, body, async () => {
      const current = await fileStats(path);
      if (!current) throw new StoreError('not_found', `no such key ${key}`, { details: { key } });
      const actual = etagOf(current);
      if (actual !== etag) {
        throw new StoreError('conflict', `${key} changed: ETag is ${actual}, expected ${etag}`, {
          details: { key, expected: etag, actual },
        });
      }
      return current;
    });
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    const path = this.pathOf(key);
    const temp = await this.writeTemp(key, path, toBytes(body));
    try {
      await setUniqueMtime(temp.handle, undefined);
      const written = await temp.handle.stat({ bigint: true });
      await this.linkExclusive(key, temp.path, path);
      return objectInfo(key, written);
    } finally {
      await discardTemp(temp);
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await withKeyLock(key, path, async () => {
      await unlink(path).catch((error: unknown) => {
        if (!hasCode(error, 'ENOENT', 'ENOTDIR', 'EISDIR')) throw fsError('delete', key, error);
      });
    });
    await this.pruneEmptyDirs(dirname(path));
  }

  /**
   * Streams into a temp file beside the key (created at the first write), published at
   * `complete` exactly like `put`: synced, then renamed over the key under its lock. `abort`
   * removes the temp file and any directory only it needed.
   */
  upload(key: string): ObjectUpload {
    const path = this.pathOf(key);
    let temp: TempFile | undefined;
    let position = 0;
    const openTemp = async (): Promise<TempFile> => {
      temp ??= await this.createTemp(key, path);
      return temp;
    };
    return guardedUpload(key, {
      write: async (chunk) => {
        const { handle } = await openTemp();
        try {
          for (let done = 0; done < chunk.length; ) {
            const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position);
            done += bytesWritten;
            position += bytesWritten;
          }
        } catch (error) {
          throw fsError('upload', key, error);
        }
      },
      complete: async () => {
        const file = await openTemp();
        await file.handle.datasync().catch((error: unknown) => {
          throw fsError('upload', key, error);
        });
        return await this.publish(key, path, file, async () => await fileStats(path));
      },
      abort: async () => {
        if (!temp) return;
        await discardTemp(temp);
        await this.pruneEmptyDirs(dirname(path));
      },
    });
  }

  private pathOf(key: string): string {
    return join(this.root, ...validateKey(key).split('/'));
  }

  private async openForRead(key: string): Promise<FileHandle> {
    const path = this.pathOf(key);
    try {
      const handle = await open(path, 'r');
      if ((await handle.stat()).isFile()) return handle;
      await handle.close();
    } catch (error) {
      if (!hasCode(error, 'ENOENT', 'ENOTDIR', 'EISDIR')) throw fsError('get', key, error);
    }
    throw new StoreError('not_found', `no such key ${key}`, { details: { key } });
  }

  /** Writes the body to a temp file, then publishes it. */
  private async replace(
    key: string,
    path: string,
    body: Uint8Array | string,
    precondition: () => Promise<BigIntStats | undefined>,
  ): Promise<ObjectInfo> {
    return await this.publish(key, path, await this.writeTemp(key, path, toBytes(body)), precondition);
  }

  /**
   * Under the key's lock, checks `precondition` (which returns the version being replaced)
   * and renames the written temp file over the key; the temp file is gone afterwards either way.
   */
  private async publish(
    key: string,
    path: string,
    temp: TempFile,
    precondition: () => Promise<BigIntStats | undefined>,
  ): Promise<ObjectInfo> {
    try {
      return await withKeyLock(key, path, async () => {
        const previous = await precondition();
        await setUniqueMtime(temp.handle, previous);
        const written = await temp.handle.stat({ bigint: true });
        await rename(temp.path, path).catch((error: unknown) => {
          throw hasCode(error, 'EISDIR', 'ENOTEMPTY', 'EEXIST')
            ? directoryInTheWay(key, error)
            : fsError('put', key, error);
        });
        return objectInfo(key, written);
      });
    } finally {
      await discardTemp(temp);
    }
  }

  private async writeTemp(key: string, path: string, bytes: Uint8Array): Promise<TempFile> {
    const temp = await this.createTemp(key, path);
    try {
      await temp.handle.writeFile(bytes);
      // The data must be on disk before the name points at it, or a crash could publish an empty file.
      await temp.handle.datasync();
    } catch (error) {
      await discardTemp(temp);
      throw fsError('put', key, error);
    }
    return temp;
  }

  /**
   * Removes what writers killed mid-write left behind (temp files, locks), everywhere under the
   * root: temp files of a dead process of this host at once, any temp file untouched for a day,
   * and locks the lock protocol itself would break (owner dead, or stale). Safe next to live
   * writers: their temps have a live pid, their locks are young. Returns the removed paths.
   */
  async sweepTemporaries(): Promise<string[]> {
    const removed: string[] = [];
    const visit = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return; // pruned meanwhile
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await visit(path);
        else if (entry.isFile() && entry.name.startsWith(RESERVED_MARK) && (await sweepOne(path, entry.name)))
          removed.push(path);
      }
    };
    await visit(this.root);
    for (const path of removed) await this.pruneEmptyDirs(dirname(path));
    return removed;
  }

  /** An empty temp file in the key's directory, named so no key and no other writer can clash. */
  private async createTemp(key: string, path: string): Promise<TempFile> {
    const tempPath = join(
      dirname(path),
      `${RESERVED_MARK}tmp-${HOST_TAG}-${process.pid}-${randomBytes(6).toString('hex')}`,
    );
    const handle = await this.createInDir(key, tempPath, () => open(tempPath, 'wx', 0o644));
    return { path: tempPath, handle };
  }

  private async linkExclusive(key: string, tempPath: string, path: string): Promise<void> {
    try {
      await this.createInDir(key, path, () => link(tempPath, path));
    } catch (error) {
      if (error instanceof StoreError) throw error;
      if (hasCode(error, 'EEXIST') && (await isDirectory(path))) throw directoryInTheWay(key, error);
      if (hasCode(error, 'EEXIST')) {
        throw new StoreError('conflict', `${key} already exists`, { details: { key } });
      }
      throw fsError('putIfAbsent', key, error);
    }
  }

  /** Runs `create`, making the parent directories first; retries if a concurrent delete pruned them. */
  private async createInDir<T>(key: string, path: string, create: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await mkdir(dirname(path), { recursive: true });
        return await create();
      } catch (error) {
        if (hasCode(error, 'ENOENT') && attempt < 5) continue;
        if (hasCode(error, 'ENOTDIR', 'EEXIST') && !(await isDirectory(dirname(path)))) {
          throw new StoreError('invalid_key', `cannot store ${key}: a parent path is an object`, {
            cause: error,
            details: { key },
          });
        }
        throw error;
      }
    }
  }

  /** Removes directories a delete left empty, like S3 where "directories" exist only through keys. */
  private async pruneEmptyDirs(dir: string): Promise<void> {
    for (let current = dir; current.startsWith(this.root + '/'); current = dirname(current)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone): a concurrent writer keeps it
      }
    }
  }

  private async *walk(dirKey: string, prefix: string): AsyncGenerator<ListedObject> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(join(this.root, dirKey), { withFileTypes: true });
    } catch (error) {
      if (hasCode(error, 'ENOENT', 'ENOTDIR')) return;
      throw fsError('list', dirKey, error);
    }
    const children = entries
      .filter((entry) => !entry.name.includes(RESERVED_MARK) && (entry.isFile() || entry.isDirectory()))
      .map((entry) => ({
        key: dirKey + entry.name + (entry.isDirectory() ? '/' : ''),
        dir: entry.isDirectory(),
      }))
      .filter(({ key, dir }) => key.startsWith(prefix) || (dir && prefix.startsWith(key)))
      // A directory sorts as its name plus "/", exactly where its keys fall in byte order.
      .sort((a, b) => compareKeys(a.key, b.key));
    for (const child of children) {
      if (child.dir) {
        yield* this.walk(child.key, prefix);
        continue;
      }
      const stats = await fileStats(join(this.root, child.key));
      if (stats) yield objectInfo(child.key, stats);
    }
  }
}

/** This host in temp file names, so a sweep knows which pids it can judge. */
const HOST_TAG = createHash('sha1').update(hostname()).digest('hex').slice(0, 8);
/** A temp file nobody wrote to for this long is abandoned whoever made it. */
const ABANDONED_TEMP_MS = 24 * 60 * 60 * 1000;

/** Removes one reserved file if it is abandoned; true when it did. */
async function sweepOne(path: string, name: string): Promise<boolean> {
  const body = name.slice(RESERVED_MARK.length);
  if (body.startsWith('lock-') && !body.includes('-stale-')) {
    if (!(await breakStaleLock(path))) return false;
    return !(await fileStats(path));
  }
  const stats = await stat(path).catch(() => undefined);
  if (!stats) return false;
  const age = Date.now() - stats.mtimeMs;
  const temp = /^tmp-([0-9a-f]{8})-(\d+)-/.exec(body);
  const ownerDead = temp !== null && temp[1] === HOST_TAG && !processAlive(Number(temp[2]));
  const abandoned = body.startsWith('tmp-') ? ownerDead || age > ABANDONED_TEMP_MS : age > STALE_LOCK_MS;
  if (!abandoned) return false;
  await unlink(path).catch(() => undefined);
  return true;
}

interface TempFile {
  path: string;
  handle: FileHandle;
}

async function discardTemp(temp: TempFile): Promise<void> {
  await temp.handle.close().catch(() => undefined);
  await unlink(temp.path).catch(() => undefined); // already renamed away, or never created
}

/** Sets the temp file's mtime: random sub-millisecond digits, strictly after `previous`. */
async function setUniqueMtime(handle: FileHandle, previous: BigIntStats | undefined): Promise<void> {
  const nowNs = BigInt(Date.now()) * 1_000_000n + BigInt(randomBytes(4).readUInt32BE() % 1_000_000);
  const floor = previous ? previous.mtimeNs + MIN_MTIME_STEP_NS : 0n;
  const mtimeNs = nowNs > floor ? nowNs : floor;
  const seconds = Number(mtimeNs) / 1e9;
  await handle.utimes(seconds, seconds);
}

function etagOf(stats: BigIntStats): string {
  return `"${stats.ino.toString(36)}-${stats.mtimeNs.toString(36)}-${stats.size.toString(36)}"`;
}

function objectInfo(key: string, stats: BigIntStats): ObjectInfo {
  return {
    key,
    size: Number(stats.size),
    etag: etagOf(stats),
    lastModified: new Date(Number(stats.mtimeNs / 1_000_000n)),
  };
}

async function fileStats(path: string): Promise<BigIntStats | undefined> {
  try {
    const stats = await stat(path, { bigint: true });
    return stats.isFile() ? stats : undefined;
  } catch (error) {
    if (hasCode(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw fsError('head', path, error);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Runs `fn` holding the key's lock file (exclusive create), breaking locks of dead or stuck owners. */
async function withKeyLock<T>(key: string, path: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = join(
    dirname(path),
    `${RESERVED_MARK}lock-${createHash('sha1').update(basename(path)).digest('hex').slice(0, 24)}`,
  );
  const token = `${process.pid} ${hostname()} ${randomBytes(8).toString('hex')}`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt += 1) {
    try {
      await mkdir(dirname(lockPath), { recursive: true });
      const handle = await open(lockPath, 'wx', 0o644);
      await handle.writeFile(token).finally(() => handle.close());
      break;
    } catch (error) {
      if (hasCode(error, 'ENOENT')) continue; // directory pruned by a concurrent delete
      if (!hasCode(error, 'EEXIST')) throw fsError('lock', key, error);
    }
    if (await breakStaleLock(lockPath)) continue;
    if (Date.now() > deadline) {
      throw new StoreError('backend', `timed out waiting for the lock of ${key}`, {
        retryable: true,
        details: { key, lockPath },
      });
    }
    await sleep(Math.min(1 + attempt, 20) * Math.random());
  }
  try {
    return await fn();
  } finally {
    const owner = await readFile(lockPath, 'utf8').catch(() => undefined);
    if (owner === token) await unlink(lockPath).catch(() => undefined);
  }
}

/** True if the lock was stale and is gone now. */
async function breakStaleLock(lockPath: string): Promise<boolean> {
  let stats: import('node:fs').Stats;
  let owner: string;
  try {
    stats = await stat(lockPath);
    owner = await readFile(lockPath, 'utf8');
  } catch {
    return true; // released meanwhile: try again at once
  }
  const [pid, host] = owner.split(' ');
  // An empty token is a lock being written right now, unless it is old.
  const ownerDead = host === hostname() && pid !== undefined && pid !== '' && !processAlive(Number(pid));
  if (!ownerDead && Date.now() - stats.mtimeMs < STALE_LOCK_MS) return false;
  // Move it aside and check that what moved is what was judged stale; if a new owner had
  // taken the lock in between, put theirs back (link fails if yet another one exists).
  const aside = `${lockPath}-stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return true;
  }
  const moved = await readFile(aside, 'utf8').catch(() => owner);
  if (moved !== owner) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
  return true;
}

function hasCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && 'code' in error && codes.includes(String(error.code));
}

/** S3 can hold both `a` and `a/b`; a filesystem cannot, so such a key is refused here. */
function directoryInTheWay(key: string, cause: unknown): StoreError {
  return new StoreError('invalid_key', `cannot store ${key}: other keys use it as a directory`, {
    cause,
    details: { key },
  });
}

function fsError(operation: string, key: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const transient = hasCode(error, 'EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'EINTR');
  const message = error instanceof Error ? error.message : String(error);
  return new StoreError('backend', `${operation} ${key} failed: ${message}`, {
    retryable: transient,
    cause: error,
    details: { key, operation },
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
