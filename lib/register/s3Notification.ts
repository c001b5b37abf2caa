/**
 * S3 event notifications as they arrive in an SQS message body.
 * S3 sends `s3:TestEvent` once when a notification is configured; it carries no records.
 * Keys arrive URL-encoded with `+` for space and are decoded exactly once here.
 */
import { AsthaError } from '../errors.js';

export interface ObjectCreated {
  kind: 'created';
  bucket: string;
  key: string;
  size: number;
  etag: string;
  /** Orders events of one key; hex, compare as strings of equal length. */
  sequencer: string;
  eventTime: string;
}

export interface ObjectRemoved {
  kind: 'removed';
  bucket: string;
  key: string;
  sequencer: string;
  eventTime: string;
}

export type ObjectChange = ObjectCreated | ObjectRemoved;

export class NotificationError extends AsthaError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('invalid_notification', message, { details });
  }
}

/** Decodes an S3 event key: `+` is a space, then percent-decoding, exactly once. */
export function decodeS3EventKey(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch (cause) {
    throw new NotificationError(`S3 event key is not valid URL encoding: ${JSON.stringify(raw)}`, {
      raw,
      cause,
    });
  }
}

/** Parses one SQS body. Returns [] for `s3:TestEvent`; throws NotificationError for anything unreadable. */
export function parseS3Notification(body: string): ObjectChange[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new NotificationError(`message body is not JSON: ${body.slice(0, 120)}`);
  }
  if (!isObject(parsed)) throw new NotificationError('message body is not a JSON object');
  if (parsed.Event === 's3:TestEvent') return [];
  const records = parsed.Records;
  if (!Array.isArray(records)) throw new NotificationError('S3 notification has no Records array');
  const changes: ObjectChange[] = [];
  for (const record of records) {
    const change = parseRecord(record);
    if (change) changes.push(change);
  }
  return changes;
}

function parseRecord(record: unknown): ObjectChange | undefined {
  if (!isObject(record)) throw new NotificationError('S3 notification record is not an object');
  const eventName = String(record.eventName ?? '');
  const s3 = isObject(record.s3) ? record.s3 : undefined;
  const bucket = s3 && isObject(s3.bucket) ? s3.bucket.name : undefined;
  const object = s3 && isObject(s3.object) ? s3.object : undefined;
  if (typeof bucket !== 'string' || !object || typeof object.key !== 'string') {
    throw new NotificationError(`S3 notification record ${JSON.stringify(eventName)} lacks bucket or key`);
  }
  const key = decodeS3EventKey(object.key);
  const sequencer = typeof object.sequencer === 'string' ? object.sequencer : '';
  const eventTime = typeof record.eventTime === 'string' ? record.eventTime : '';
  if (eventName.startsWith('ObjectCreated:')) {
    const size = Number(object.size);
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new NotificationError(`ObjectCreated for ${key} has no valid size`, { key });
    }
    const etag =
      typeof object.eTag === 'string' ? object.eTag : typeof object.etag === 'string' ? object.etag : '';
    return { kind: 'created', bucket, key, size, etag: etag.replace(/"/g, ''), sequencer, eventTime };
  }
  if (eventName.startsWith('ObjectRemoved:')) return { kind: 'removed', bucket, key, sequencer, eventTime };
  // Other event types (restore, replication, tagging) do not change what a table holds.
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Encodes a key the way S3 does in event notifications (`+` for space, percent-encoding). */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Builds the SQS body S3 would send for a change, so the local runtime feeds the register
 * function exactly what it gets in AWS.
 */
export function formatS3Notification(change: ObjectChange): string {
  const object: Record<string, unknown> = { key: encodeS3EventKey(change.key), sequencer: change.sequencer };
  if (change.kind === 'created') {
    object.size = change.size;
    object.eTag = change.etag;
  }
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'local',
        eventTime: change.eventTime,
        eventName: change.kind === 'created' ? 'ObjectCreated:Put' : 'ObjectRemoved:Delete',
        s3: { s3SchemaVersion: '1.0', bucket: { name: change.bucket }, object },
      },
    ],
  });
}
