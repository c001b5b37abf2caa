import { describe, expect, it } from 'vitest';
import {
  type AsthaMessage,
  decodeMessage,
  encodeChange,
  encodeMessage,
  groupIdOf,
  type LogRow,
  parseLogRow,
  refreshMessage,
} from '../../lib/astha/events.js';
import { COMPONENTS, componentsFor, isSubscribed, SUBSCRIPTIONS } from '../../lib/astha/subscriptions.js';
import { MONITORED_TABLES } from '../../lib/registry/rows.js';
import { images } from './helpers.js';

function logRow(overrides: Partial<LogRow>): LogRow {
  return {
    id: 7,
    timestamp: '2026-01-02T03:04:05.678Z',
    tablename: 'table_files',
    operation: 'INSERT',
    before: null,
    after: JSON.stringify(images.table_files(3, 42)),
    ...overrides,
  };
}

describe('parseLogRow', () => {
  it('turns a log row into a typed change event', () => {
    const parsed = parseLogRow(logRow({}));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const event = parsed.event;
    expect(event).toMatchObject({ kind: 'change', id: 7, table: 'table_files', operation: 'INSERT' });
    if (event.table === 'table_files') {
      // Narrowed by the discriminant: the row type is TableFileRow, no cast.
      expect(event.after?.table_id).toBe(42);
      expect(event.after?.path).toBe('p/3.parquet');
    }
    expect(groupIdOf(event)).toBe('table-42');
  });

  it('groups a `tables` change by its own id and others by table_id', () => {
    const table = parseLogRow(logRow({ tablename: 'tables', after: JSON.stringify(images.tables(9)) }));
    const snapshot = parseLogRow(
      logRow({
        tablename: 'table_snapshots',
        after: JSON.stringify(images.table_snapshots(9, '123456789012345678')),
      }),
    );
    expect(table.ok && groupIdOf(table.event)).toBe('table-9');
    expect(snapshot.ok && groupIdOf(snapshot.event)).toBe('table-9');
  });

  it.each<[string, Partial<LogRow>, RegExp]>([
    ['unknown table', { tablename: 'namespaces' }, /unknown table "namespaces"/],
    ['unknown operation', { operation: 'UPSERT' }, /unknown operation "UPSERT"/],
    ['broken JSON', { after: '{"id": ' }, /after image is not JSON/],
    [
      'non-integer id',
      { after: JSON.stringify({ ...images.table_files(3, 42), table_id: '42' }) },
      /table_files.table_id must be an integer \(got "42"\)/,
    ],
    [
      'fractional id',
      { after: JSON.stringify({ ...images.table_files(3, 42), id: 1.5 }) },
      /table_files.id must be an integer/,
    ],
    [
      'missing column',
      { after: JSON.stringify({ id: 3 }) },
      /table_files.table_id must be an integer \(got undefined\)/,
    ],
    ['image not an object', { after: '[1]' }, /after: row image is not an object/],
    ['INSERT without after', { after: null }, /INSERT without an after image/],
    ['DELETE without before', { operation: 'DELETE', after: null }, /DELETE without a before image/],
    ['UPDATE without before', { operation: 'UPDATE' }, /UPDATE without a before image/],
  ])('rejects %s with a reason naming the problem', (_name, overrides, reason) => {
    const parsed = parseLogRow(logRow(overrides));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});

describe('encodeMessage / decodeMessage', () => {
  it('round-trips change events and control messages', () => {
    const parsed = parseLogRow(
      logRow({ operation: 'UPDATE', before: JSON.stringify(images.table_files(3, 42)) }),
    );
    if (!parsed.ok) throw new Error(parsed.reason);
    const messages: AsthaMessage[] = [parsed.event, refreshMessage('compactor', new Date(1_700_000_000_000))];
    for (const message of messages) expect(decodeMessage(encodeMessage(message))).toEqual(message);
  });

  it('splices stored images into the same message encodeMessage would write', () => {
    for (const row of [
      logRow({
        after: ' { "id": 3, "table_id": 42, "path": "a\\"b", "iceberg_state": "pending", "x": null } ',
      }),
      logRow({ operation: 'DELETE', before: JSON.stringify(images.table_files(3, 42)), after: null }),
      logRow({ timestamp: 'odd "time"' }),
    ]) {
      const parsed = parseLogRow(row);
      if (!parsed.ok) throw new Error(parsed.reason);
      expect(decodeMessage(encodeChange(row, parsed.event))).toEqual(
        decodeMessage(encodeMessage(parsed.event)),
      );
      expect(JSON.parse(encodeChange(row, parsed.event))).toEqual(JSON.parse(encodeMessage(parsed.event)));
    }
  });

  it.each([
    ['not JSON', 'nope', /body is not JSON/],
    ['unknown kind', JSON.stringify({ kind: 'x', timestamp: 't' }), /unknown kind x/],
    [
      'bad component',
      JSON.stringify({ kind: 'refresh', component: 'x', id: 'r', timestamp: 't' }),
      /unknown component x/,
    ],
    [
      'string change id',
      JSON.stringify({ kind: 'change', id: '1', timestamp: 't' }),
      /change id must be an integer/,
    ],
    [
      'invalid row',
      JSON.stringify({
        kind: 'change',
        id: 1,
        table: 'tables',
        operation: 'INSERT',
        after: { id: 'a' },
        timestamp: 't',
      }),
      /tables.id must be an integer/,
    ],
  ])('rejects %s', (_name, body, reason) => {
    expect(() => decodeMessage(body)).toThrow(reason);
  });
});

describe('subscriptions', () => {
  it('routes every monitored table to exactly the components subscribed to it', () => {
    for (const table of MONITORED_TABLES) {
      const expected = COMPONENTS.filter((c) => SUBSCRIPTIONS[c].includes(table));
      expect(componentsFor(table)).toEqual(expected);
    }
    expect(componentsFor('file_statistics')).toEqual(['compactor']);
    expect(componentsFor('table_snapshots')).toEqual(['snapshotter']);
    expect(componentsFor('namespaces')).toEqual([]);
    expect(isSubscribed('metadata_orchestrator', 'table_files')).toBe(false);
  });
});
