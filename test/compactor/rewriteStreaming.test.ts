/**
 * rewriteGroup streams each output through `ObjectStore.upload`: one write per encoded row
 * group plus the footer, so an output is never held whole; the files read back exactly and
 * their footers are inspected from the tail alone; a failure mid-output leaves no temp file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import type { RewriteGroup } from '../../lib/compactor/planCompaction.js';
import { type RewriteOptions, rewriteGroup } from '../../lib/compactor/rewriteFiles.js';
import { StoreError } from '../../lib/errors.js';
import type { Schema } from '../../lib/iceberg/spec/types.js';
import type { LiveFile } from '../../lib/registry/compactionState.js';
import { FsStore } from '../../lib/store/fsStore.js';
import type { ObjectUpload } from '../../lib/store/objectStore.js';

const FILES = 4;
const ROWS_PER_FILE = 5_000;
const ROW_GROUP_ROWS = 2_000;

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** An FsStore that records the size of every upload write, and can fail the nth write of an upload. */
class RecordingStore extends FsStore {
  readonly writes = new Map<string, number[]>();
  failWrite: number | undefined;

  override upload(key: string): ObjectUpload {
    const inner = super.upload(key);
    const sizes: number[] = [];
    this.writes.set(key, sizes);
    return {
      key,
      get bytesWritten() {
        return inner.bytesWritten;
      },
      write: async (chunk) => {
        if (sizes.length + 1 === this.failWrite) {
          throw new StoreError('backend', `injected failure of write ${this.failWrite}`, { retryable: true });
        }
        sizes.push(chunk.length);
        await inner.write(chunk);
      },
      complete: () => inner.complete(),
      abort: () => inner.abort(),
    };
  }
}

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: false, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: 'amount', required: false, type: 'double' },
  ],
};

interface Row {
  id: bigint;
  name: string | null;
  amount: number;
}

function expectedRows(): Row[] {
  return Array.from({ length: FILES * ROWS_PER_FILE }, (_, id) => ({
    id: BigInt(id),
    name: id % 7 === 0 ? null : `name ${(id * 31) % 977}`,
    amount: (id % 1000) / 8,
  }));
}

/** A table directory with FILES small inputs, and the rewrite group over them. */
async function lake(): Promise<{ root: string; store: RecordingStore; group: RewriteGroup }> {
  const root = mkdtempSync(join(tmpdir(), 'astha-rewrite-'));
  roots.push(root);
  const store = new RecordingStore(root);
  const rows = expectedRows();
  const files: LiveFile[] = [];
  for (let f = 0; f < FILES; f++) {
    const part = rows.slice(f * ROWS_PER_FILE, (f + 1) * ROWS_PER_FILE);
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'id', data: BigInt64Array.from(part, (r) => r.id), type: 'INT64' },
          { name: 'name', data: part.map((r) => r.name), type: 'STRING' },
          { name: 'amount', data: Float64Array.from(part, (r) => r.amount), type: 'DOUBLE' },
        ],
        rowGroupSize: 1_000,
      }),
    );
    const path = `ns/t/data/input-${f}.parquet`;
    await store.put(path, bytes);
    files.push({
      id: f + 1,
      path,
      uri: `${store.url}/${path}`,
      size: bytes.length,
      rowCount: part.length,
      partitionPath: '',
      partitionValuesJson: '{}',
      asthaWritten: false,
    });
  }
  const group: RewriteGroup = {
    partitionPath: '',
    files,
    bytes: files.reduce((sum, f) => sum + f.size, 0),
    rows: rows.length,
  };
  return { root, store, group };
}

function options(store: RecordingStore, targetFileSizeBytes: number): RewriteOptions {
  return {
    store,
    tableKeyPrefix: 'ns/t',
    schema,
    spec: { specId: 0, fields: [] },
    targetFileSizeBytes,
    rowGroupRows: ROW_GROUP_ROWS,
  };
}

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

async function readRows(root: string, path: string): Promise<Row[]> {
  const bytes = readFileSync(join(root, path));
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  return (await parquetReadObjects({ file })) as Row[];
}

describe('rewriteGroup output streaming', () => {
  it('writes one output row group at a time through upload; the file reads back exactly', async () => {
    const { root, store, group } = await lake();
    const [output, ...more] = await rewriteGroup(group, options(store, 1024 * 1024 * 1024));
    expect(more).toEqual([]);
    const writes = store.writes.get(output!.path)!;
    // 10 row groups (the first with the leading magic), then the footer.
    expect(writes).toHaveLength((FILES * ROWS_PER_FILE) / ROW_GROUP_ROWS + 1);
    expect(writes.reduce((a, b) => a + b, 0)).toBe(output!.size);
    expect(Math.max(...writes)).toBeLessThan(output!.size / 5);
    expect(output!.size).toBe(readFileSync(join(root, output!.path)).length);
    expect(output!.inspection).toMatchObject({ recordCount: FILES * ROWS_PER_FILE, fileSize: output!.size });
    expect(output!.inspection.splitOffsets).toHaveLength(10);
    expect(output!.inspection.splitOffsets[0]).toBe(4);
    expect(await readRows(root, output!.path)).toEqual(expectedRows());
    expect(filesUnder(root).filter((f) => f.includes('\\'))).toEqual([]); // no temp file left
  });

  it('starts a new upload when an output reaches the target size; every output is whole', async () => {
    const { root, store, group } = await lake();
    const outputs = await rewriteGroup(group, options(store, 1));
    expect(outputs).toHaveLength(10);
    const rows: Row[] = [];
    for (const output of outputs) {
      expect(store.writes.get(output.path)).toHaveLength(2); // one row group, then the footer
      expect(output.inspection.recordCount).toBe(ROW_GROUP_ROWS);
      expect(output.size).toBe(readFileSync(join(root, output.path)).length);
      rows.push(...(await readRows(root, output.path)));
    }
    expect(rows).toEqual(expectedRows());
  });

  it('a failure after row groups went out aborts the open upload: no output, no temp file', async () => {
    const { root, store, group } = await lake();
    const before = filesUnder(root);
    store.failWrite = 6;
    await expect(rewriteGroup(group, options(store, 1024 * 1024 * 1024))).rejects.toThrow(
      /injected failure of write 6/,
    );
    const [sizes] = [...store.writes.values()];
    expect(sizes).toHaveLength(5); // five row groups had reached the temp file
    expect(filesUnder(root)).toEqual(before);
  });
});
