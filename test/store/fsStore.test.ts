import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsStore } from '../../lib/store/fsStore.js';
import { expectSameBytes, objectStoreContract, patternBytes, uploadInChunks } from './objectStoreContract.js';

const roots: string[] = [];
function freshRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'astha-fsstore-'));
  roots.push(root);
  return root;
}
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

objectStoreContract('filesystem', {
  open: async () => new FsStore(freshRoot()),
  etagChangesOnIdenticalRewrite: true,
  paginationKeys: 120,
});

const CHILD_SOURCE = join(import.meta.dirname, 'fsStoreChild.ts');
/** The child bundled once to plain JS, so 16 processes start in milliseconds, not a TS compile each. */
let childScript = '';
beforeAll(async () => {
  childScript = join(freshRoot(), 'fsStoreChild.mjs');
  await build({
    entryPoints: [CHILD_SOURCE],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: childScript,
  });
});
/** Processes race for real; 2 busy cores can make their start-up slow. */
const PROCESS_TEST_TIMEOUT_MS = 180_000;

interface Child {
  process: ChildProcess;
  output: Promise<string[]>;
}

function startChild(args: string[]): Child {
  const child = spawn(process.execPath, [childScript, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const output = new Promise<string[]>((resolve, reject) => {
    child.once('exit', (code) => {
      if (code === 0) resolve(stdout.trim().split('\n'));
      // Stack lines are left out: they point into the bundle and say less than the message.
      else reject(new Error(`child exited with ${code}: ${stderr.replace(/^\s+at .*$/gm, '').trim()}`));
    });
  });
  return { process: child, output };
}

/** Starts every child, waits until all are ready, then releases them at once. */
async function raceChildren(argsList: string[][]): Promise<unknown[]> {
  const children = argsList.map(startChild);
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          const onData = (chunk: Buffer) => {
            if (chunk.toString().includes('ready')) {
              child.process.stdout?.off('data', onData);
              resolve();
            }
          };
          child.process.stdout?.on('data', onData);
          child.output.catch(reject);
        }),
    ),
  );
  for (const child of children) child.process.stdin?.end('go\n');
  const outputs = await Promise.all(children.map((child) => child.output));
  return outputs.map((lines) => JSON.parse(lines.at(-1) ?? 'null'));
}

describe('FsStore across processes', () => {
  it(
    '16 processes racing putIfAbsent on each of 40 keys: one wins each, 15 conflicts, the file is the winner’s',
    async () => {
      const root = freshRoot();
      const keys = 40; // each of 40 keys is raced by all 16 processes
      const results = (await raceChildren(
        Array.from({ length: 16 }, () => [root, 'putIfAbsent', 'race/key-', String(keys)]),
      )) as Array<{ pid: number; outcomes: Array<{ won: boolean; code?: string; retryable?: boolean }> }>;
      for (let k = 0; k < keys; k += 1) {
        const winners = results.filter((r) => r.outcomes[k]?.won).map((r) => r.pid);
        const losers = results.map((r) => r.outcomes[k]).filter((o) => o && !o.won);
        expect(winners, `key ${k}`).toHaveLength(1);
        expect(losers).toHaveLength(15);
        for (const loser of losers) expect(loser).toEqual({ won: false, code: 'conflict', retryable: true });
        expect(readFileSync(join(root, 'race', `key-${k}`), 'utf8')).toBe(`process ${winners[0]}`);
      }
      expect(readdirSync(join(root, 'race'))).toHaveLength(keys); // no temp or lock file left
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    '4 processes incrementing one counter with putIfMatch lose no update',
    async () => {
      const root = freshRoot();
      await new FsStore(root).put('counter', '0');
      const processes = 4;
      const times = 15;
      const results = (await raceChildren(
        Array.from({ length: processes }, () => [root, 'increment', 'counter', String(times)]),
      )) as Array<{ attempts: number }>;
      expect(readFileSync(join(root, 'counter'), 'utf8')).toBe(String(processes * times));
      const attempts = results.reduce((sum, r) => sum + r.attempts, 0);
      expect(attempts).toBeGreaterThanOrEqual(processes * times);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});

describe('FsStore', () => {
  it('keeps each key as a plain file under the root', async () => {
    const root = freshRoot();
    const store = new FsStore(root);
    await store.put('ns/table/data/x=1/part 1.parquet', 'PAR1');
    expect(readFileSync(join(root, 'ns', 'table', 'data', 'x=1', 'part 1.parquet'), 'utf8')).toBe('PAR1');
    expect(store.url).toBe(`file://${root}`);
  });

  it('never lists temp or lock files, and removes directories a delete leaves empty', async () => {
    const root = freshRoot();
    const store = new FsStore(root);
    await store.put('d/keep', '1');
    await store.put('e/f/gone', '2');
    writeFileSync(join(root, 'd', '\\tmp-123-abc'), 'half written');
    writeFileSync(join(root, 'd', '\\lock-0123'), '1 host token');
    const keys = [];
    for await (const object of store.list('')) keys.push(object.key);
    expect(keys).toEqual(['d/keep', 'e/f/gone']);
    await store.delete('e/f/gone');
    expect(existsSync(join(root, 'e'))).toBe(false);
  });

  it('refuses a key that another key uses as a directory, and the other way round', async () => {
    const store = new FsStore(freshRoot());
    await store.put('a/b', 'inner');
    for (const attempt of [() => store.put('a', 'x'), () => store.putIfAbsent('a', 'x')]) {
      await expect(attempt()).rejects.toMatchObject({
        code: 'invalid_key',
        message: /other keys use it as a directory/,
      });
    }
    await expect(store.put('a/b/c', 'x')).rejects.toMatchObject({ code: 'invalid_key' });
    expect(await store.head('a')).toBeUndefined();
    expect(new TextDecoder().decode(await store.get('a/b'))).toBe('inner');
  });

  it('breaks a lock left behind by a dead process', async () => {
    const root = freshRoot();
    const store = new FsStore(root);
    const first = await store.put('locked', 'v1');
    const { createHash } = await import('node:crypto');
    const lockName = `\\lock-${createHash('sha1').update('locked').digest('hex').slice(0, 24)}`;
    // pid 2^22+1 is above Linux's pid_max default, so no process has it.
    writeFileSync(join(root, lockName), `4194305 ${(await import('node:os')).hostname()} deadbeef`);
    const second = await store.putIfMatch('locked', 'v2', first.etag);
    expect(readFileSync(join(root, 'locked'), 'utf8')).toBe('v2');
    expect(second.etag).not.toBe(first.etag);
    expect(existsSync(join(root, lockName))).toBe(false);
  });
});

/** Every file under `dir`, relative, temp and lock files included. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe('FsStore sweepTemporaries', () => {
  it("removes the temp file and lock a killed writer left, keeps a live writer's and every key", async () => {
    const root = freshRoot();
    const store = new FsStore(root);
    await store.put('ns/t/metadata/v1.metadata.json', '{}');
    const live = store.upload('ns/t/metadata/v2.metadata.json');
    await live.write(patternBytes(10));
    const [liveTemp] = filesUnder(root).filter((f) => f.includes('\\'));
    // A writer that died: same host, a pid no process has any more.
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    const deadTemp = liveTemp!.replace(/-\d+-([0-9a-f]+)$/, `-${deadPid}-$1`).replace(/[0-9a-f]+$/, 'abcdef');
    writeFileSync(join(root, deadTemp), 'half a metadata file');
    const deadLock = 'ns/t/metadata/\\lock-0123456789abcdef01234567';
    writeFileSync(join(root, deadLock), `${deadPid} ${hostname()} token`);

    const removed = (await store.sweepTemporaries()).map((path) => relative(root, path));
    expect(removed.sort()).toEqual([deadLock, deadTemp].sort());
    expect(filesUnder(root).sort()).toEqual(['ns/t/metadata/v1.metadata.json', liveTemp!].sort());
    await live.complete();
    expect(await store.get('ns/t/metadata/v2.metadata.json')).toHaveLength(10);
  });
});

describe('FsStore upload', () => {
  it('streams into one temp file beside the key, which grows with each write, then becomes the key', async () => {
    const root = freshRoot();
    const store = new FsStore(root);
    const upload = store.upload('t/d/out.bin');
    const bytes = patternBytes(3_000_000);
    await upload.write(bytes.subarray(0, 1_000_000));
    const [temp, ...others] = filesUnder(root);
    expect(others).toEqual([]);
    expect(temp).toMatch(/^t\/d\/\\tmp-[0-9a-f]{8}-\d+-[0-9a-f]+$/);
    expect(statSync(join(root, temp!)).size).toBe(1_000_000); // on disk already, not held in memory
    await upload.write(bytes.subarray(1_000_000));
    expect(statSync(join(root, temp!)).size).toBe(3_000_000);
    await upload.complete();
    expect(filesUnder(root)).toEqual(['t/d/out.bin']);
    expectSameBytes(readFileSync(join(root, 't', 'd', 'out.bin')), bytes);
  });

  it('abort removes the temp file and the directories only it needed', async () => {
    const root = freshRoot();
    const store = new FsStore(root);
    await store.put('t/keep', 'kept');
    const upload = store.upload('t/new/deep/out.bin');
    await uploadInChunks(upload, patternBytes(2_000_000), [333_333]);
    expect(filesUnder(root)).toHaveLength(2);
    await upload.abort();
    expect(filesUnder(root)).toEqual(['t/keep']);
    expect(existsSync(join(root, 't', 'new'))).toBe(false);
  });

  it('a failed complete (a directory in the way) aborts: no object, no temp file', async () => {
    const root = freshRoot();
    const store = new FsStore(root);
    await store.put('a/b', 'inner');
    const upload = store.upload('a');
    await upload.write(patternBytes(1000));
    await expect(upload.complete()).rejects.toMatchObject({ code: 'invalid_key' });
    expect(filesUnder(root)).toEqual(['a/b']);
    // A parent path that is an object fails at the first write, also cleanly.
    const under = store.upload('a/b/c');
    await expect(under.write(patternBytes(10))).rejects.toMatchObject({ code: 'invalid_key' });
    await under.abort();
    expect(filesUnder(root)).toEqual(['a/b']);
  });
});
