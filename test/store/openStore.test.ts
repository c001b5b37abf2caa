import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AsthaError } from '../../lib/errors.js';
import { FsStore } from '../../lib/store/fsStore.js';
import { MemoryStore } from '../../lib/store/memoryStore.js';
import { openStore } from '../../lib/store/openStore.js';
import { S3Store } from '../../lib/store/s3Store.js';

describe('openStore', () => {
  it('opens the same memory store for the same name', async () => {
    const a = openStore('memory://open-store-test');
    await a.put('k', 'v');
    expect(a).toBeInstanceOf(MemoryStore);
    expect(openStore('memory://open-store-test')).toBe(a);
    expect(openStore('memory://another')).not.toBe(a);
  });

  it('opens file URLs and plain paths as filesystem stores', () => {
    const dir = join(tmpdir(), 'astha open store', 'wh');
    const fromUrl = openStore(pathToFileURL(dir).href);
    expect(fromUrl).toBeInstanceOf(FsStore);
    expect((fromUrl as FsStore).root).toBe(dir);
    expect((openStore(dir) as FsStore).root).toBe(dir);
    expect((openStore('relative/warehouse') as FsStore).root).toBe(resolve('relative/warehouse'));
  });

  it('opens s3 URLs with bucket and prefix', () => {
    const store = openStore('s3://my-bucket/warehouse/a b', {
      aws: { region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' },
    });
    expect(store).toBeInstanceOf(S3Store);
    expect((store as S3Store).bucket).toBe('my-bucket');
    expect(store.url).toBe('s3://my-bucket/warehouse/a b');
    expect(openStore('s3://only-bucket', { aws: { region: 'us-east-1' } }).url).toBe('s3://only-bucket/');
  });

  it('names the URL and the supported schemes when the scheme is unknown', () => {
    const attempt = () => openStore('ftp://host/path');
    expect(attempt).toThrow(AsthaError);
    expect(attempt).toThrow(
      /unsupported object store URL "ftp:\/\/host\/path".*s3:\/\/.*file:\/\/.*memory:\/\//,
    );
  });
});
