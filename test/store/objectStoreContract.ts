/**
 * The ObjectStore contract: one `describe` block run against every adapter, so memory,
 * filesystem and S3 are held to the same behaviour.
 */
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../lib/errors.js';
import type { ObjectStore, ObjectUpload } from '../../lib/store/objectStore.js';

export interface StoreContractSubject {
  /** A new, empty store; called once per test. */
  open(): Promise<ObjectStore>;
  /** S3's ETag is the content MD5, so it stays the same when identical bytes are rewritten. */
  etagChangesOnIdenticalRewrite: boolean;
  /** Enough keys to span several `list` pages of this adapter. */
  paginationKeys: number;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** `size` bytes that differ at every offset modulo 251 (a prime, so no chunk lines up with it). */
export function patternBytes(size: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i + seed) % 251;
  return bytes;
}

/** Writes `bytes` through `upload` in chunks of the given sizes (cycled), reusing one scratch buffer. */
export async function uploadInChunks(
  upload: ObjectUpload,
  bytes: Uint8Array,
  chunkSizes: readonly number[],
): Promise<void> {
  const scratch = new Uint8Array(Math.max(...chunkSizes));
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.min(chunkSizes[i % chunkSizes.length]!, bytes.length - at);
    // The same buffer every time: the store must have taken the bytes when write resolves.
    const chunk = scratch.subarray(0, size);
    chunk.set(bytes.subarray(at, at + size));
    await upload.write(chunk);
    scratch.fill(0xee);
    at += size;
  }
}

/** Byte-exact comparison that reports where two big arrays first differ (toEqual is slow on MiBs). */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  const differs = Buffer.compare(
    Buffer.from(actual.buffer, actual.byteOffset, actual.length),
    Buffer.from(expected.buffer, expected.byteOffset, expected.length),
  );
  if (differs !== 0) {
    const at = actual.findIndex((byte, i) => byte !== expected[i]);
    expect.fail(`bytes differ first at offset ${at}`);
  }
}

/** 12 MiB and a tail: more than two 5-8 MiB parts of a multipart upload. */
const BIG_UPLOAD_BYTES = 12 * 1024 * 1024 + 54_321;
/** Odd sizes, one above a whole part, so chunks never line up with part boundaries. */
const ODD_CHUNKS = [1_000_003, 65_537, 3_333_331, 17, 9 * 1024 * 1024 + 7];

async function rejection(promise: Promise<unknown>): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.list(prefix)) keys.push(object.key);
  return keys;
}

/** Read, add one, write back with If-Match; retried on conflict. Returns the attempts it took. */
export async function incrementCounter(store: ObjectStore, key: string): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    const info = await store.head(key);
    if (!info) throw new Error(`${key} missing`);
    const value = Number(text(await store.get(key)));
    try {
      // head before get: the bytes are at least as new as the ETag, so a stale ETag can only
      // make this write fail, never overwrite an update it has not seen.
      await store.putIfMatch(key, String(value + 1), info.etag);
      return attempt;
    } catch (error) {
      if (!(error instanceof StoreError && error.code === 'conflict')) throw error;
    }
  }
}

export function objectStoreContract(name: string, subject: StoreContractSubject): void {
  describe(`ObjectStore contract: ${name}`, () => {
    it('puts, gets, heads and deletes an object', async () => {
      const store = await subject.open();
      const written = await store.put('a/b/c.txt', 'hello world');
      expect(written.size).toBe(11);
      expect(text(await store.get('a/b/c.txt'))).toBe('hello world');
      const info = await store.head('a/b/c.txt');
      expect(info).toMatchObject({ key: 'a/b/c.txt', size: 11, etag: written.etag });
      expect(info?.lastModified).toBeInstanceOf(Date);
      await store.delete('a/b/c.txt');
      expect(await store.head('a/b/c.txt')).toBeUndefined();
      expect((await rejection(store.get('a/b/c.txt'))).code).toBe('not_found');
      await store.delete('a/b/c.txt'); // deleting a missing key is fine
    });

    it('stores binary bytes exactly, including an empty object', async () => {
      const store = await subject.open();
      const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) % 256);
      await store.put('bin', bytes);
      expect(await store.get('bin')).toEqual(bytes);
      await store.put('empty', new Uint8Array(0));
      expect((await store.get('empty')).length).toBe(0);
      expect((await store.head('empty'))?.size).toBe(0);
    });

    it('reads byte ranges, clipping an end past the object and refusing a start past it', async () => {
      const store = await subject.open();
      await store.put('r', '0123456789');
      expect(text(await store.get('r', { range: { start: 2, end: 5 } }))).toBe('234');
      expect(text(await store.get('r', { range: { start: 7 } }))).toBe('789');
      expect(text(await store.get('r', { range: { start: 8, end: 100 } }))).toBe('89');
      expect(text(await store.get('r', { range: { start: 9, end: 10 } }))).toBe('9');
      expect((await rejection(store.get('r', { range: { start: 10 } }))).code).toBe('invalid_range');
      expect((await rejection(store.get('r', { range: { start: 50, end: 60 } }))).code).toBe('invalid_range');
      expect((await rejection(store.get('r', { range: { start: 5, end: 5 } }))).code).toBe('invalid_range');
      expect((await rejection(store.get('r', { range: { start: -1 } }))).code).toBe('invalid_range');
      expect((await rejection(store.get('missing', { range: { start: 0, end: 1 } }))).code).toBe('not_found');
    });

    it('lists in key order, relative keys, filtered by prefix', async () => {
      const store = await subject.open();
      const keys = ['b/2', 'a/x/1', 'a-c', 'a/y', 'a.b', 'a0', 'b/10', 'c'];
      for (const key of keys) await store.put(key, key);
      expect(await listKeys(store, '')).toEqual(['a-c', 'a.b', 'a/x/1', 'a/y', 'a0', 'b/10', 'b/2', 'c']);
      expect(await listKeys(store, 'a/')).toEqual(['a/x/1', 'a/y']);
      expect(await listKeys(store, 'a')).toEqual(['a-c', 'a.b', 'a/x/1', 'a/y', 'a0']);
      expect(await listKeys(store, 'b/1')).toEqual(['b/10']);
      expect(await listKeys(store, 'nothing/')).toEqual([]);
      const listed = [];
      for await (const object of store.list('c')) listed.push(object);
      expect(listed).toEqual([
        expect.objectContaining({ key: 'c', size: 1, etag: (await store.head('c'))?.etag }),
      ]);
    });

    it('lists across several pages and can stop early', async () => {
      const store = await subject.open();
      const keys = Array.from(
        { length: subject.paginationKeys },
        (_, i) => `p/${String(i).padStart(4, '0')}`,
      );
      for (let i = 0; i < keys.length; i += 25) {
        await Promise.all(keys.slice(i, i + 25).map((key) => store.put(key, 'x')));
      }
      await store.put('q', 'outside the prefix');
      expect(await listKeys(store, 'p/')).toEqual(keys);
      const firstThree: string[] = [];
      for await (const object of store.list('p/')) {
        firstThree.push(object.key);
        if (firstThree.length === 3) break;
      }
      expect(firstThree).toEqual(keys.slice(0, 3));
    });

    it('round-trips keys with spaces, unicode, % and +', async () => {
      const store = await subject.open();
      const keys = [
        'sp ace/file name.txt',
        'ünï/cødé/日本語.parquet',
        'pct/100%25 done%',
        'plus/a+b=c',
        'mix/ a+%20ü😀',
      ];
      for (const key of keys) await store.put(key, `body of ${key}`);
      for (const key of keys) {
        expect(text(await store.get(key))).toBe(`body of ${key}`);
        expect((await store.head(key))?.key).toBe(key);
      }
      expect((await listKeys(store, '')).sort()).toEqual([...keys].sort());
      expect(await listKeys(store, 'pct/')).toEqual(['pct/100%25 done%']);
      expect(await store.head('plus/a b=c')).toBeUndefined();
    });

    it('rejects invalid keys on every operation', async () => {
      const store = await subject.open();
      const invalid = ['', 'a//b', '../x', 'a/../b', '/abs', './a', 'a/', 'a\\b'];
      for (const key of invalid) {
        for (const attempt of [
          () => store.get(key),
          () => store.head(key),
          () => store.put(key, 'x'),
          () => store.putIfAbsent(key, 'x'),
          () => store.putIfMatch(key, 'x', '"etag"'),
          () => store.delete(key),
        ]) {
          expect((await rejection(attempt())).code, `key ${JSON.stringify(key)}`).toBe('invalid_key');
        }
      }
      expect((await rejection((async () => listKeys(store, '../'))())).code).toBe('invalid_key');
      // upload refuses a bad key at once, before any byte is produced.
      for (const key of invalid) {
        let thrown: unknown;
        try {
          store.upload(key);
        } catch (error) {
          thrown = error;
        }
        expect(thrown, `key ${JSON.stringify(key)}`).toBeInstanceOf(StoreError);
        expect((thrown as StoreError).code).toBe('invalid_key');
      }
    });

    it('upload: chunks round-trip exactly, the reported size and ETag are what head says', async () => {
      const store = await subject.open();
      const bytes = patternBytes(300_001);
      const upload = store.upload('up/small.bin', { contentType: 'application/octet-stream' });
      expect(upload.key).toBe('up/small.bin');
      await uploadInChunks(upload, bytes, [1, 70_000, 4_096, 99_999]);
      expect(upload.bytesWritten).toBe(bytes.length);
      const info = await upload.complete();
      expect(info).toMatchObject({ key: 'up/small.bin', size: bytes.length });
      expect(await store.head('up/small.bin')).toMatchObject({ size: bytes.length, etag: info.etag });
      expectSameBytes(await store.get('up/small.bin'), bytes);
      expect(await listKeys(store, 'up/')).toEqual(['up/small.bin']);
    });

    it('upload: 12 MiB and a tail in odd-sized chunks (several S3 parts), invisible until complete', async () => {
      const store = await subject.open();
      await store.put('up/big.bin', 'the old version');
      const bytes = patternBytes(BIG_UPLOAD_BYTES, 7);
      const upload = store.upload('up/big.bin');
      await uploadInChunks(upload, bytes, ODD_CHUNKS);
      // Everything is written but not completed: readers still see the old object, and only it.
      expect(text(await store.get('up/big.bin'))).toBe('the old version');
      expect(await listKeys(store, 'up/')).toEqual(['up/big.bin']);
      const info = await upload.complete();
      expect(info.size).toBe(BIG_UPLOAD_BYTES);
      expect(await store.head('up/big.bin')).toMatchObject({ size: BIG_UPLOAD_BYTES, etag: info.etag });
      expectSameBytes(await store.get('up/big.bin'), bytes);
      // A ranged read across the first part boundary (8 MiB on S3) sees the right bytes.
      const start = 8 * 1024 * 1024 - 3;
      expectSameBytes(
        await store.get('up/big.bin', { range: { start, end: start + 10 } }),
        bytes.subarray(start, start + 10),
      );
    });

    it('upload: a new key does not exist before complete', async () => {
      const store = await subject.open();
      const upload = store.upload('up/new.bin');
      await upload.write(patternBytes(1000));
      expect(await store.head('up/new.bin')).toBeUndefined();
      expect(await listKeys(store, '')).toEqual([]);
      await upload.complete();
      expect((await store.head('up/new.bin'))?.size).toBe(1000);
    });

    it('upload: abort leaves no object and keeps the previous version, also after several parts', async () => {
      const store = await subject.open();
      const small = store.upload('up/aborted-small');
      await small.write(patternBytes(10));
      await small.abort();
      await small.abort(); // idempotent
      expect(await store.head('up/aborted-small')).toBeUndefined();

      await store.put('up/kept', 'previous');
      const big = store.upload('up/kept');
      await uploadInChunks(big, patternBytes(BIG_UPLOAD_BYTES), ODD_CHUNKS);
      await big.abort();
      expect(text(await store.get('up/kept'))).toBe('previous');
      expect(await listKeys(store, '')).toEqual(['up/kept']);
      // Nothing is accepted after an abort.
      expect((await rejection(big.write(patternBytes(1)))).code).toBe('backend');
      expect((await rejection(big.complete())).code).toBe('backend');
      expect(text(await store.get('up/kept'))).toBe('previous');
    });

    it('upload: zero bytes make an empty object; complete is final', async () => {
      const store = await subject.open();
      const upload = store.upload('up/empty');
      await upload.write(new Uint8Array(0));
      const info = await upload.complete();
      expect(info.size).toBe(0);
      expect((await store.head('up/empty'))?.size).toBe(0);
      expect((await store.get('up/empty')).length).toBe(0);
      await upload.abort(); // after complete: a no-op, the object stays
      expect((await store.head('up/empty'))?.etag).toBe(info.etag);
      expect((await rejection(upload.write(patternBytes(1)))).code).toBe('backend');
      expect((await rejection(upload.complete())).code).toBe('backend');
    });

    it('upload: refuses overlapping calls', async () => {
      const store = await subject.open();
      const upload = store.upload('up/overlap');
      const first = upload.write(patternBytes(1000));
      expect((await rejection(upload.write(patternBytes(1)))).code).toBe('backend');
      await first;
      await upload.complete();
      expect((await store.head('up/overlap'))?.size).toBe(1000);
    });

    it('putIfAbsent creates once, then reports a retryable conflict and keeps the first body', async () => {
      const store = await subject.open();
      const created = await store.putIfAbsent('once', 'first');
      expect(created.size).toBe(5);
      const error = await rejection(store.putIfAbsent('once', 'second'));
      expect(error.code).toBe('conflict');
      expect(error.retryable).toBe(true);
      expect(text(await store.get('once'))).toBe('first');
      expect((await store.head('once'))?.etag).toBe(created.etag);
    });

    it('get with ifMatch reads only the version it names, quoted or not, whole or a range', async () => {
      const store = await subject.open();
      const v1 = await store.put('versioned', 'first version');
      const bare = v1.etag.replace(/^"(.*)"$/, '$1');
      expect(text(await store.get('versioned', { ifMatch: v1.etag }))).toBe('first version');
      expect(text(await store.get('versioned', { ifMatch: bare, range: { start: 6, end: 13 } }))).toBe(
        'version',
      );
      await store.put('versioned', 'second version');
      const stale = await rejection(store.get('versioned', { ifMatch: bare }));
      expect(stale.code).toBe('conflict');
      expect(
        (await rejection(store.get('versioned', { ifMatch: v1.etag, range: { start: 0, end: 4 } }))).code,
      ).toBe('conflict');
      expect((await rejection(store.get('absent', { ifMatch: bare }))).code).toBe('not_found');
    });

    it('putIfMatch replaces only the version it names', async () => {
      const store = await subject.open();
      const v1 = await store.put('cas', 'v1');
      const v2 = await store.putIfMatch('cas', 'v2', v1.etag);
      expect(v2.etag).not.toBe(v1.etag);
      expect((await store.head('cas'))?.etag).toBe(v2.etag);
      expect(text(await store.get('cas'))).toBe('v2');
      const stale = await rejection(store.putIfMatch('cas', 'v3', v1.etag));
      expect(stale.code).toBe('conflict');
      expect(stale.retryable).toBe(true);
      expect(text(await store.get('cas'))).toBe('v2');
      expect((await rejection(store.putIfMatch('absent', 'x', v2.etag))).code).toBe('not_found');
      expect(await store.head('absent')).toBeUndefined();
    });

    it(
      subject.etagChangesOnIdenticalRewrite
        ? 'gives a new ETag to every write, even of identical bytes'
        : 'keeps the content ETag when identical bytes are rewritten, changes it when they differ',
      async () => {
        const store = await subject.open();
        const etags = [];
        for (let i = 0; i < 5; i += 1) etags.push((await store.put('same', 'identical bytes')).etag);
        const changed = (await store.put('same', 'other bytes')).etag;
        const distinct = new Set(etags).size;
        expect(distinct).toBe(subject.etagChangesOnIdenticalRewrite ? 5 : 1);
        expect(etags).not.toContain(changed);
        // After a delete and re-create, an old ETag must not match either.
        const before = (await store.head('same'))?.etag ?? '';
        await store.delete('same');
        await store.put('same', 'new bytes');
        expect((await rejection(store.putIfMatch('same', 'x', before))).code).toBe('conflict');
      },
    );

    it('16 concurrent putIfAbsent on one key: exactly one wins, 15 get a conflict', async () => {
      const store = await subject.open();
      const results = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) => store.putIfAbsent('race/winner', `writer ${i}`)),
      );
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      const losers = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(15);
      for (const loser of losers) {
        expect(loser).toBeInstanceOf(StoreError);
        expect((loser as StoreError).code).toBe('conflict');
      }
      expect(text(await store.get('race/winner'))).toBe(`writer ${winners[0]}`);
    });

    it('concurrent putIfMatch read-modify-write loses no update', async () => {
      const store = await subject.open();
      await store.put('counter', '0');
      const workers = 6;
      const increments = 5;
      const attempts = await Promise.all(
        Array.from({ length: workers }, async () => {
          let total = 0;
          for (let i = 0; i < increments; i += 1) total += await incrementCounter(store, 'counter');
          return total;
        }),
      );
      expect(text(await store.get('counter'))).toBe(String(workers * increments));
      // The race was real: at least one write lost and was retried.
      expect(attempts.reduce((a, b) => a + b, 0)).toBeGreaterThan(workers * increments);
    });
  });
}
