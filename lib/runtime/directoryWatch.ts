/**
 * Watches a directory tree with one plain `fs.watch` per directory (inotify on Linux), adding
 * directories as they appear. Node 20's `recursive: true` on Linux is a JavaScript emulation
 * that re-reads a folder on every event and keeps a stat-polling watcher per file: with 30,000
 * files in a warehouse it held the libuv thread pool and stalled every file read and write of
 * the process (bench/e2e, 10 minutes at 50 files/s). Directories are few (tables, partitions).
 */
import { type FSWatcher, watch } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface TreeWatcher {
  close(): void;
}

export interface TreeWatchOptions {
  /** A path relative to the root ('/'-separated) changed; undefined: something did, look at all. */
  onChange(path: string | undefined): void;
  onError(error: unknown): void;
  /** Directories (relative, '/'-separated) not to watch, with everything under them. */
  skip?(path: string): boolean;
}

export function watchTree(root: string, options: TreeWatchOptions): TreeWatcher {
  const watchers = new Map<string, FSWatcher>();
  let closed = false;
  const rel = (path: string) => relative(root, path).split(sep).join('/');

  /** Watches `dir` and the directories under it; `announce`: report the files found in it. */
  const add = async (dir: string, announce: boolean): Promise<void> => {
    if (closed || watchers.has(dir) || (dir !== root && options.skip?.(rel(dir)))) return;
    try {
      const watcher = watch(dir, (event, name) => {
        if (!name) return options.onChange(undefined);
        const path = join(dir, String(name));
        options.onChange(rel(path));
        // Hidden names (writers' temporary files) hold nothing astha registers, directories included.
        if (event === 'rename' && !String(name).startsWith('.')) void maybeDirectory(path);
      });
      watcher.on('error', () => forget(dir));
      watchers.set(dir, watcher);
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await add(path, announce);
        else if (announce) options.onChange(rel(path));
      }
    } catch (error) {
      // A directory removed meanwhile is no error; anything else is worth a warning.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.onError(error);
      forget(dir);
    }
  };

  /** A name that appeared may be a new directory holding files already (a rename into place). */
  const maybeDirectory = async (path: string): Promise<void> => {
    if (watchers.has(path)) return;
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) await add(path, true);
  };

  const forget = (dir: string): void => {
    watchers.get(dir)?.close();
    watchers.delete(dir);
  };

  void add(root, false);
  return {
    close: () => {
      closed = true;
      for (const dir of [...watchers.keys()]) forget(dir);
    },
  };
}
