import { describe, expect, it } from 'vitest';
import {
  keyOfUri,
  metadataKey,
  metadataUri,
  newManifestListKey,
  tableRefFor,
  uriInTable,
  versionOfMetadataFile,
} from '../../../lib/iceberg/tableLocation.js';
import { FsStore } from '../../../lib/store/fsStore.js';
import { MemoryStore } from '../../../lib/store/memoryStore.js';
import type { ObjectStore } from '../../../lib/store/objectStore.js';

const s3Like = (url: string): ObjectStore => Object.assign(new MemoryStore(), { url });

describe('table location', () => {
  it('maps keys to absolute URIs under the table location and back', () => {
    const store = s3Like('s3://bucket/warehouse');
    const table = tableRefFor(store, 'ns/t');
    expect(table.location).toBe('s3://bucket/warehouse/ns/t');
    expect(metadataKey(table, 3)).toBe('ns/t/metadata/v3.metadata.json');
    expect(metadataUri(table, 3)).toBe('s3://bucket/warehouse/ns/t/metadata/v3.metadata.json');
    const list = newManifestListKey(table, 42n);
    expect(list).toMatch(/^ns\/t\/metadata\/snap-42-[0-9a-f-]{36}\.avro$/);
    expect(keyOfUri(store, uriInTable(table, list))).toBe(list);
    expect(keyOfUri(store, 's3a://bucket/warehouse/ns/t/data/a.parquet')).toBe('ns/t/data/a.parquet');
    expect(versionOfMetadataFile('s3://b/ns/t/metadata/v12.metadata.json')).toBe(12);
  });

  it('a bucket-root store and a filesystem store accept the forms other engines write', () => {
    expect(keyOfUri(s3Like('s3://bucket/'), 's3://bucket/ns/t/x.avro')).toBe('ns/t/x.avro');
    const fs = new FsStore('/tmp/astha warehouse');
    expect(fs.url).toBe('file:///tmp/astha%20warehouse');
    expect(keyOfUri(fs, 'file:///tmp/astha%20warehouse/ns/t/x.avro')).toBe('ns/t/x.avro');
    expect(keyOfUri(fs, '/tmp/astha warehouse/ns/t/x.avro')).toBe('ns/t/x.avro');
  });

  it('refuses URIs outside the warehouse', () => {
    expect(() => keyOfUri(s3Like('s3://bucket/warehouse'), 's3://other/warehouse/x')).toThrow(
      /outside the warehouse/,
    );
    expect(() => uriInTable(tableRefFor(s3Like('s3://b/w'), 'ns/t'), 'ns/u/metadata/x')).toThrow(
      /not under table/,
    );
  });
});
