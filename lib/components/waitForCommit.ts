/**
 * Sync mode: a caller (`astha register --sync`, an API) waits until its file is in a
 * committed Iceberg snapshot. The registry is the truth, so waiting is polling one row: it
 * works the same whichever process commits, and a caller that gives up loses nothing (the
 * file still commits). It ends one of three ways: committed, refused (`rejected`/`removed`,
 * with the registry's reason), or `sync_timeout` saying where the file was stuck.
 */
import { AsthaError } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import type { IcebergState, SnapshotId } from '../registry/rows.js';

/**
 * Which file: its registry id, or its key in the warehouse store (`<namespace>/<table>/data/…`,
 * what `table_files.path` holds), optionally with the ETag of the upload meant.
 */
export type CommitTarget = { fileId: number } | { path: string; etag?: string };

export interface WaitOptions {
  /** Give up after this long. Default 60 s. */
  timeoutMs?: number;
  /** Time between registry reads. Default 250 ms. */
  pollMs?: number;
  /** Abort early (Ctrl-C in the CLI). */
  signal?: AbortSignal;
  /** Injectable for tests; defaults to real time. */
  clock?: { now(): number; sleep(ms: number): Promise<void> };
}

export interface CommittedFile {
  fileId: number;
  tableId: number;
  path: string;
  snapshotId: SnapshotId;
}

interface FileState {
  id: number;
  table_id: number;
  path: string;
  iceberg_state: IcebergState;
  snapshot_id: SnapshotId | null;
  reject_reason: string | null;
}

const realClock = {
  now: () => Date.now(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

/** Resolves once the file is `committed`; rejects with `rejected`, `removed` or `sync_timeout`. */
export async function waitForCommit(
  registry: Registry,
  target: CommitTarget,
  options: WaitOptions = {},
): Promise<CommittedFile> {
  const clock = options.clock ?? realClock;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pollMs = options.pollMs ?? 250;
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const file = await readFileState(registry, target);
    if (file) {
      const settled = settledOutcome(file);
      if (settled) return settled;
    }
    if (options.signal?.aborted)
      throw new AsthaError('sync_aborted', `stopped waiting for ${describe(target)}`);
    if (clock.now() >= deadline) throw timeoutError(target, file, timeoutMs);
    await clock.sleep(Math.min(pollMs, Math.max(0, deadline - clock.now())));
  }
}

/** The file's final outcome, or undefined while it is still on its way. */
function settledOutcome(file: FileState): CommittedFile | undefined {
  const where = { fileId: file.id, tableId: file.table_id, path: file.path };
  switch (file.iceberg_state) {
    case 'committed':
      return { ...where, snapshotId: file.snapshot_id ?? '' };
    case 'rejected':
      throw new AsthaError(
        'rejected',
        `${file.path} was rejected: ${file.reject_reason ?? 'no reason recorded'}`,
        {
          details: { ...where, reason: file.reject_reason },
        },
      );
    case 'removed':
      throw new AsthaError('removed', `${file.path} was removed before it was committed`, { details: where });
    default:
      return undefined;
  }
}

function timeoutError(target: CommitTarget, file: FileState | undefined, timeoutMs: number): AsthaError {
  const state = file
    ? `it is still ${file.iceberg_state}${file.iceberg_state === 'pending' ? ' (is the iceberg_updater running?)' : ''}`
    : 'it was never registered (is the register function or the runtime running?)';
  return new AsthaError(
    'sync_timeout',
    `${describe(target)} was not committed within ${timeoutMs} ms: ${state}`,
    {
      retryable: true,
      details: { target, state: file?.iceberg_state ?? 'unregistered', timeoutMs },
    },
  );
}

function describe(target: CommitTarget): string {
  return 'fileId' in target ? `file ${target.fileId}` : target.path;
}

/**
 * The newest row for the target (a key uploaded again is a new row, the old one `removed`).
 * A file that could not even create its table has no row, only a `rejected_objects` record.
 */
async function readFileState(registry: Registry, target: CommitTarget): Promise<FileState | undefined> {
  if ('fileId' in target) {
    return fileRow(registry, `SELECT ${FILE_COLUMNS} FROM table_files f WHERE f.id = ?`, [target.fileId]);
  }
  const etag = target.etag?.replace(/^"(.*)"$/, '$1');
  const etagArgs = etag === undefined ? [] : [etag];
  const etagClause = (column: string) => (etag === undefined ? '' : ` AND ${column} = ?`);
  // The table's key prefix is the path's first two segments: it leads to the (table_id, path) index.
  const tablePrefix = target.path.split('/').slice(0, 2).join('/');
  const row = await fileRow(
    registry,
    `SELECT ${FILE_COLUMNS} FROM table_files f JOIN tables t ON t.id = f.table_id
     WHERE t.key_prefix = ? AND f.path = ?${etagClause('f.etag')} ORDER BY f.id DESC LIMIT 1`,
    [tablePrefix, target.path, ...etagArgs],
  );
  return row ?? rejectedObject(registry, target.path, etagClause('etag'), etagArgs);
}

const FILE_COLUMNS = 'f.id, f.table_id, f.path, f.iceberg_state, f.snapshot_id, f.reject_reason';

async function fileRow(
  registry: Registry,
  sql: string,
  args: (string | number)[],
): Promise<FileState | undefined> {
  const row = (await registry.client.execute({ sql, args })).rows[0];
  if (!row) return undefined;
  return {
    id: Number(row.id),
    table_id: Number(row.table_id),
    path: String(row.path),
    iceberg_state: String(row.iceberg_state) as IcebergState,
    snapshot_id: row.snapshot_id == null ? null : String(row.snapshot_id),
    reject_reason: row.reject_reason == null ? null : String(row.reject_reason),
  };
}

/** Rejection records name the full S3 key: the warehouse prefix (if any) plus the path. */
async function rejectedObject(
  registry: Registry,
  path: string,
  etagClause: string,
  etagArgs: string[],
): Promise<FileState | undefined> {
  const result = await registry.client.execute({
    sql: `SELECT id, reason FROM rejected_objects
          WHERE (key = ? OR substr(key, -length(?) - 1) = '/' || ?)${etagClause} ORDER BY id DESC LIMIT 1`,
    args: [path, path, path, ...etagArgs],
  });
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    id: Number(row.id),
    table_id: 0,
    path,
    iceberg_state: 'rejected',
    snapshot_id: null,
    reject_reason: String(row.reason),
  };
}
