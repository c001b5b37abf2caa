/**
 * A temporary warehouse for registration tests, and landing a file in it the way S3 would
 * announce it (bucket `lake`, warehouse prefix `wh`). Warehouses are removed after each test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { S3ObjectRef } from '../../lib/registry/planRegistration.js';
import { FsStore } from '../../lib/store/fsStore.js';

export const BUCKET = 'lake';
export const PREFIX = 'wh';
export const options = { warehousePrefix: PREFIX };

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function warehouse(): FsStore {
  const dir = mkdtempSync(join(tmpdir(), 'astha-wh-'));
  dirs.push(dir);
  return new FsStore(dir);
}

/** Puts `bytes` at `<ns>/<table>/data/...` in the store and returns its S3 notification. */
export async function land(store: FsStore, path: string, bytes: Uint8Array): Promise<S3ObjectRef> {
  const info = await store.put(path, bytes);
  // S3 events carry the ETag without the quotes HTTP puts around it.
  return { bucket: BUCKET, key: `${PREFIX}/${path}`, size: info.size, etag: info.etag.replaceAll('"', '') };
}
