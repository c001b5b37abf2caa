/**
 * Typed events: what a `__cdc_log` row becomes on its way to a component's queue.
 * A change event is a discriminated union keyed by `table`, so a handler that checks
 * `event.table === 'table_files'` gets `Event<'table_files'>` and its row type without casts.
 * Control messages (`refresh`, `health`) share the envelope (`kind`, `id`, `timestamp`).
 */
import { AsthaError } from '../errors.js';
import { isMonitoredTable, type MonitoredRows, type MonitoredTable } from '../registry/rows.js';
import { type Component, isComponent } from './subscriptions.js';

export const OPERATIONS = ['INSERT', 'UPDATE', 'DELETE'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface Event<T extends MonitoredTable> {
  kind: 'change';
  /** The `__cdc_log` id: increasing, unique, the queue's deduplication id. */
  id: number;
  table: T;
  operation: Operation;
  /** Row image before the change (UPDATE, DELETE). */
  before?: MonitoredRows[T];
  /** Row image after the change (INSERT, UPDATE). */
  after?: MonitoredRows[T];
  timestamp: string;
}

export type ChangeEvent = { [T in MonitoredTable]: Event<T> }[MonitoredTable];

export interface ControlMessage {
  kind: 'refresh' | 'health';
  component: Component;
  id: string;
  timestamp: string;
}

/**
 * Consecutive changes of one table for one component, in log order, sent as one message: a
 * pass then costs a table one send, receive and delete, not one per ten changes.
 */
export interface ChangeBatch {
  kind: 'changes';
  /** `<first log id>-<last log id>`: the batch's deduplication id. */
  id: string;
  timestamp: string;
  events: ChangeEvent[];
}

export type AsthaMessage = ChangeEvent | ChangeBatch | ControlMessage;

/** A `__cdc_log` row as read from the registry. */
export interface LogRow {
  id: number;
  timestamp: string;
  tablename: string;
  operation: string;
  before: string | null;
  after: string | null;
}

export type ParseResult = { ok: true; event: ChangeEvent } | { ok: false; reason: string };

type FieldKind = 'int' | 'string';
/** The columns components key on; the rest of an image is passed through as the registry wrote it. */
const ROW_FIELDS: Readonly<Record<MonitoredTable, Readonly<Record<string, FieldKind>>>> = {
  tables: { id: 'int', namespace_id: 'int', name: 'string', state: 'string' },
  table_metadata: { table_id: 'int', schema_id: 'int' },
  table_files: { id: 'int', table_id: 'int', path: 'string', iceberg_state: 'string' },
  file_statistics: { file_id: 'int', table_id: 'int' },
  // Snapshot ids are 64-bit: the registry keeps them as decimal strings.
  table_snapshots: { table_id: 'int', snapshot_id: 'string' },
};

/** Checks the columns components rely on; returns the reason a row image is unusable. */
export function rowProblem(table: MonitoredTable, row: unknown): string | undefined {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return 'row image is not an object';
  const record = row as Record<string, unknown>;
  for (const [field, kind] of Object.entries(ROW_FIELDS[table])) {
    const value = record[field];
    if (kind === 'string' ? typeof value !== 'string' : !Number.isSafeInteger(value)) {
      return `${table}.${field} must be ${kind === 'string' ? 'a string' : 'an integer'} (got ${JSON.stringify(value) ?? 'undefined'})`;
    }
  }
  return undefined;
}

function parseImage(
  table: MonitoredTable,
  json: string | null,
  side: string,
): { row?: object; reason?: string } {
  if (json === null) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return { reason: `${side} image is not JSON: ${(error as Error).message}` };
  }
  const problem = rowProblem(table, value);
  return problem === undefined ? { row: value as object } : { reason: `${side}: ${problem}` };
}

/** Converts one log row; a row that cannot be used yields the reason it goes to `__cdc_dead`. */
export function parseLogRow(row: LogRow): ParseResult {
  const table = row.tablename;
  if (!isMonitoredTable(table)) return { ok: false, reason: `unknown table ${JSON.stringify(table)}` };
  const operation = row.operation;
  if (!(OPERATIONS as readonly string[]).includes(operation)) {
    return { ok: false, reason: `unknown operation ${JSON.stringify(operation)}` };
  }
  const before = parseImage(table, row.before, 'before');
  if (before.reason) return { ok: false, reason: before.reason };
  const after = parseImage(table, row.after, 'after');
  if (after.reason) return { ok: false, reason: after.reason };
  if (operation !== 'DELETE' && !after.row)
    return { ok: false, reason: `${operation} without an after image` };
  if (operation !== 'INSERT' && !before.row)
    return { ok: false, reason: `${operation} without a before image` };
  const event = {
    kind: 'change',
    id: row.id,
    table,
    operation: operation as Operation,
    timestamp: row.timestamp,
    ...(before.row ? { before: before.row } : {}),
    ...(after.row ? { after: after.row } : {}),
  };
  return { ok: true, event: event as ChangeEvent };
}

/** The table a change belongs to, if its rows say so; order is kept per table. */
export function tableIdOf(event: ChangeEvent): number | undefined {
  if (event.table === 'tables') return (event.after ?? event.before)?.id;
  return (event.after ?? event.before)?.table_id;
}

/** Changes without a table id share one group, so they still stay in order among themselves. */
export const FALLBACK_GROUP = 'registry';

export function groupIdOf(event: ChangeEvent): string {
  const tableId = tableIdOf(event);
  return tableId === undefined ? FALLBACK_GROUP : `table-${tableId}`;
}

/**
 * The queue body of a row `parseLogRow` accepted, spliced from the images' stored JSON text
 * instead of re-serialising them: the same message as `encodeMessage(event)` at a fraction
 * of the cost, which matters at tens of thousands of events a second.
 */
export function encodeChange(row: LogRow, event: ChangeEvent): string {
  let body = `{"kind":"change","id":${event.id},"table":"${event.table}","operation":"${event.operation}","timestamp":${JSON.stringify(event.timestamp)}`;
  if (event.before) body += `,"before":${row.before}`;
  if (event.after) body += `,"after":${row.after}`;
  return `${body}}`;
}

/** A ChangeBatch body from change bodies (`encodeChange`) of one table, in log order. */
export function encodeChanges(bodies: readonly string[], id: string, timestamp: string): string {
  return `{"kind":"changes","id":${JSON.stringify(id)},"timestamp":${JSON.stringify(timestamp)},"events":[${bodies.join(',')}]}`;
}

/** The bytes `encodeChanges` adds around its bodies (besides one comma between two). */
export const CHANGES_OVERHEAD_BYTES = 128;

export function encodeMessage(message: AsthaMessage): string {
  return JSON.stringify(message);
}

function invalid(reason: string): AsthaError {
  return new AsthaError('invalid_message', `astha message invalid (${reason})`);
}

/** Parses and validates a queue body written by `encodeMessage`; throws `invalid_message`. */
export function decodeMessage(body: string): AsthaMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw invalid(`body is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null) throw invalid('body is not an object');
  const message = value as Record<string, unknown>;
  if (typeof message['timestamp'] !== 'string') throw invalid('timestamp missing');
  if (message['kind'] === 'refresh' || message['kind'] === 'health') {
    if (!isComponent(message['component']))
      throw invalid(`unknown component ${String(message['component'])}`);
    if (typeof message['id'] !== 'string') throw invalid('control id must be a string');
    return message as unknown as ControlMessage;
  }
  if (message['kind'] === 'changes') {
    if (typeof message['id'] !== 'string') throw invalid('changes id must be a string');
    const events = message['events'];
    if (!Array.isArray(events) || events.length === 0) throw invalid('changes without events');
    return {
      kind: 'changes',
      id: message['id'],
      timestamp: message['timestamp'],
      events: events.map(decodeChange),
    };
  }
  return decodeChange(message);
}

/** Validates one change event (a message of its own or one of a ChangeBatch). */
function decodeChange(value: unknown): ChangeEvent {
  if (typeof value !== 'object' || value === null) throw invalid('change is not an object');
  const message = value as Record<string, unknown>;
  if (message['kind'] !== 'change') throw invalid(`unknown kind ${String(message['kind'])}`);
  if (!Number.isSafeInteger(message['id'])) throw invalid('change id must be an integer');
  if (typeof message['timestamp'] !== 'string') throw invalid('timestamp missing');
  const parsed = parseLogRow({
    id: message['id'] as number,
    timestamp: message['timestamp'],
    tablename: String(message['table']),
    operation: String(message['operation']),
    before: message['before'] === undefined ? null : JSON.stringify(message['before']),
    after: message['after'] === undefined ? null : JSON.stringify(message['after']),
  });
  if (!parsed.ok) throw invalid(parsed.reason);
  return parsed.event;
}

export function refreshMessage(component: Component, now: Date): ControlMessage {
  return {
    kind: 'refresh',
    component,
    id: `refresh-${component}-${now.getTime()}`,
    timestamp: now.toISOString(),
  };
}
