/**
 * What `astha start` tells a person while it runs: polls the registry for snapshots committed
 * and files rejected since it last looked, and hands each one over as an event. Polling the
 * registry (not hooks in the runtime) sees the same news in the embedded default and in queues
 * mode, whichever process made the commit.
 */
import type { Client } from '@libsql/client';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { listRejections, type Rejection } from '../registry/catalogReads.js';

export interface CommitEvent {
  event: 'commit';
  table: string;
  operation: string;
  /** Data files the snapshot added (and removed, for a compaction). */
  addedFiles: number;
  removedFiles: number;
  addedRows: number;
  totalRows: number;
  version: number | null;
  snapshotId: string;
}

export type RejectionEvent = { event: 'rejection' } & Omit<Rejection, 'id'>;
export type FeedEvent = CommitEvent | RejectionEvent;

interface Cursor {
  snapshot: number;
  fileId: number;
  objectId: number;
}

export class CommitFeed {
  private cursor: Cursor = { snapshot: 0, fileId: 0, objectId: 0 };
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly client: Client,
    private readonly onEvent: (event: FeedEvent) => void,
    private readonly logger: Logger,
  ) {}

  /** Remembers where the registry stands now: only later commits and rejections are reported. */
  async prime(): Promise<void> {
    const result = await this.client.execute(
      `SELECT (SELECT coalesce(max(rowid), 0) FROM table_snapshots) AS snapshot,
              (SELECT coalesce(max(id), 0) FROM table_files WHERE iceberg_state = 'rejected') AS file_id,
              (SELECT coalesce(max(id), 0) FROM rejected_objects) AS object_id`,
    );
    const row = result.rows[0]!;
    this.cursor = {
      snapshot: Number(row.snapshot),
      fileId: Number(row.file_id),
      objectId: Number(row.object_id),
    };
  }

  start(everyMs = 500): void {
    this.timer = setInterval(() => {
      this.polling ??= this.poll()
        .catch((error: unknown) =>
          this.logger.warn({ err: errorMessage(error) }, 'could not read new commits'),
        )
        .finally(() => {
          this.polling = undefined;
        });
    }, everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
  }

  /** Reports what is new since the last look, commits before rejections, each in order. */
  async poll(): Promise<void> {
    const commits = await this.client.execute({
      sql: `SELECT s.rowid AS seq, n.name || '.' || t.name AS tbl, s.snapshot_id, s.operation, s.summary_json,
                   s.metadata_location, t.metadata_version
              FROM table_snapshots s JOIN tables t ON t.id = s.table_id JOIN namespaces n ON n.id = t.namespace_id
             WHERE s.rowid > ? ORDER BY s.rowid`,
      args: [this.cursor.snapshot],
    });
    for (const row of commits.rows) {
      this.cursor.snapshot = Math.max(this.cursor.snapshot, Number(row.seq));
      this.onEvent(commitEvent(row));
    }
    const rejections = await listRejections(this.client, { limit: 1000, after: this.cursor });
    for (const { id, ...rejection } of rejections.reverse()) {
      if (rejection.kind === 'file') this.cursor.fileId = Math.max(this.cursor.fileId, id);
      else this.cursor.objectId = Math.max(this.cursor.objectId, id);
      this.onEvent({ event: 'rejection', ...rejection });
    }
  }
}

function commitEvent(row: Record<string, unknown>): CommitEvent {
  const summary = JSON.parse(String(row.summary_json)) as Record<string, string>;
  const n = (key: string) => Number(summary[key] ?? 0);
  const fromLocation = /(?:^|\/)v?(\d+)[-.][^/]*metadata\.json$/.exec(String(row.metadata_location ?? ''));
  const version = fromLocation
    ? Number(fromLocation[1])
    : row.metadata_version === null
      ? null
      : Number(row.metadata_version);
  return {
    event: 'commit',
    table: String(row.tbl),
    operation: String(row.operation),
    addedFiles: n('added-data-files'),
    removedFiles: n('deleted-data-files'),
    addedRows: n('added-records'),
    totalRows: n('total-records'),
    version,
    snapshotId: String(row.snapshot_id),
  };
}

/** One line a person reads: `committed demo.trips: 2 files, 400 rows (600 in total), version 3`. */
export function describeEvent(event: FeedEvent): string {
  if (event.event === 'rejection')
    return `rejected ${event.key}${event.table ? ` (${event.table})` : ''}: ${event.reason}`;
  const version = event.version === null ? '' : `, version ${event.version}`;
  if (event.operation === 'replace')
    return `compacted ${event.table}: ${event.removedFiles} files into ${event.addedFiles}${version}`;
  const removed = event.removedFiles > 0 ? `, ${event.removedFiles} files removed` : '';
  return `committed ${event.table}: ${plural(event.addedFiles, 'file')}, ${plural(event.addedRows, 'row')} (${event.totalRows} in total)${removed}${version}`;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
