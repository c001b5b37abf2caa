/**
 * The per-directory tree watcher the warehouse watcher uses instead of Node's Linux emulation
 * of `recursive: true`: files in directories made after it started (also ones moved into place
 * whole) are reported by their '/'-separated relative path, skipped folders are not watched.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type TreeWatcher, watchTree } from '../../lib/runtime/directoryWatch.js';

let root: string;
let watcher: TreeWatcher | undefined;
afterEach(() => {
  watcher?.close();
  rmSync(root, { recursive: true, force: true });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
}

describe('watchTree', () => {
  it('reports files in new nested directories and directories moved in whole, not in skipped ones', async () => {
    root = mkdtempSync(join(tmpdir(), 'astha-tree-'));
    mkdirSync(join(root, 'ns/t/data'), { recursive: true });
    const seen = new Set<string>();
    watcher = watchTree(root, {
      onChange: (path) => path && seen.add(path),
      onError: (error) => {
        throw error;
      },
      skip: (path) => path === 'ns/t/metadata',
    });
    await new Promise((r) => setTimeout(r, 100));
    mkdirSync(join(root, 'ns/t/data/day=1'));
    await until(() => seen.has('ns/t/data/day=1'));
    writeFileSync(join(root, 'ns/t/data/day=1/a.parquet'), 'a');
    // A partition directory prepared elsewhere and renamed into place, with its file inside.
    mkdirSync(join(root, 'staging/day=2'), { recursive: true });
    writeFileSync(join(root, 'staging/day=2/b.parquet'), 'b');
    renameSync(join(root, 'staging/day=2'), join(root, 'ns/t/data/day=2'));
    mkdirSync(join(root, 'ns/t/metadata'));
    await until(() => seen.has('ns/t/data/day=1/a.parquet') && seen.has('ns/t/data/day=2/b.parquet'));
    writeFileSync(join(root, 'ns/t/metadata/v1.metadata.json'), '{}');
    writeFileSync(join(root, 'ns/t/data/day=2/c.parquet'), 'c');
    await until(() => seen.has('ns/t/data/day=2/c.parquet'));
    expect([...seen].filter((p) => p.endsWith('.parquet')).sort()).toEqual([
      'ns/t/data/day=1/a.parquet',
      'ns/t/data/day=2/b.parquet',
      'ns/t/data/day=2/c.parquet',
    ]);
    expect([...seen].some((p) => p.startsWith('ns/t/metadata/'))).toBe(false);
  });
});
