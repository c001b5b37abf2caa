/**
 * Writing and reading snapshots' manifest lists with a small memory of this process's own: a
 * list is immutable (each snapshot writes one under a fresh name and nobody rewrites it), so the
 * list a commit wrote is the next commit's parent without a GET. Only lists this process wrote
 * are remembered; any other is read from the store.
 */
import type { ObjectStore } from '../../store/objectStore.js';
import { type ManifestFile, readManifestList } from '../spec/manifestList.js';
import { keyOfUri } from '../tableLocation.js';

/** Lists remembered (a table commits on top of its newest one; a few tables at a time). */
const REMEMBERED = 32;
const written = new Map<string, Uint8Array>();

function memoryKey(store: ObjectStore, key: string): string {
  return `${store.url}|${key}`;
}

/** PUTs a manifest list and remembers its bytes. */
export async function putManifestList(store: ObjectStore, key: string, bytes: Uint8Array): Promise<void> {
  await store.put(key, bytes, { contentType: 'application/octet-stream' });
  const at = memoryKey(store, key);
  written.delete(at);
  written.set(at, bytes);
  if (written.size > REMEMBERED) {
    const oldest = written.keys().next().value;
    if (oldest !== undefined) written.delete(oldest);
  }
}

/** The manifests a snapshot's list (`manifestList`, its URI) names. */
export async function listedManifests(store: ObjectStore, manifestList: string): Promise<ManifestFile[]> {
  const key = keyOfUri(store, manifestList);
  const bytes = written.get(memoryKey(store, key)) ?? (await store.get(key));
  return readManifestList(bytes).manifests;
}
