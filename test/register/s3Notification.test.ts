import { describe, expect, it } from 'vitest';
import {
  decodeS3EventKey,
  formatS3Notification,
  NotificationError,
  parseS3Notification,
} from '../../lib/register/s3Notification.js';

function notification(eventName: string, key: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName,
        eventTime: '2026-11-27T04:00:00.123Z',
        s3: {
          bucket: { name: 'lake' },
          object: { key, size: 1234, eTag: 'abc123', sequencer: '0065A1', ...extra },
        },
      },
    ],
  });
}

describe('parseS3Notification', () => {
  it('parses ObjectCreated with the key decoded exactly once', () => {
    const [change] = parseS3Notification(
      notification('ObjectCreated:Put', 'wh/sales/orders/data/a+b%2Bc%25.parquet'),
    );
    expect(change).toEqual({
      kind: 'created',
      bucket: 'lake',
      key: 'wh/sales/orders/data/a b+c%.parquet',
      size: 1234,
      etag: 'abc123',
      sequencer: '0065A1',
      eventTime: '2026-11-27T04:00:00.123Z',
    });
  });

  it('parses ObjectRemoved and skips the test event and unrelated event types', () => {
    expect(parseS3Notification(notification('ObjectRemoved:Delete', 'k.parquet'))[0]?.kind).toBe('removed');
    expect(parseS3Notification(JSON.stringify({ Event: 's3:TestEvent', Bucket: 'lake' }))).toEqual([]);
    expect(parseS3Notification(notification('ObjectRestore:Completed', 'k.parquet'))).toEqual([]);
  });

  it('rejects unreadable bodies with a clear error', () => {
    expect(() => parseS3Notification('not json')).toThrow(NotificationError);
    expect(() => parseS3Notification('{"Records": 3}')).toThrow(/no Records array/);
    expect(() => parseS3Notification(notification('ObjectCreated:Put', 'k', { size: -1 }))).toThrow(
      /valid size/,
    );
    expect(() => decodeS3EventKey('%E0%A4%A')).toThrow(/URL encoding/);
  });

  it('decodes unicode keys', () => {
    expect(decodeS3EventKey('caf%C3%A9+%E2%9C%93')).toBe('café ✓');
  });
});

describe('formatS3Notification', () => {
  it('round-trips through parseS3Notification for awkward keys', () => {
    for (const key of ['wh/ns/t/data/a b+c%d.parquet', 'wh/ns/t/data/dt=2024-01-01/café ✓ (1)*.parquet']) {
      const created = {
        kind: 'created' as const,
        bucket: 'b',
        key,
        size: 10,
        etag: 'e1',
        sequencer: '01',
        eventTime: '2026-01-01T00:00:00.000Z',
      };
      expect(parseS3Notification(formatS3Notification(created))).toEqual([created]);
    }
  });
});
