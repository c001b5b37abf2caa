import { describe, expect, it } from 'vitest';
import { convertBatch, everySubscriber } from '../../lib/astha/drain.js';
import type { LogRow } from '../../lib/astha/events.js';
import { wakes } from '../../lib/astha/wakes.js';

let nextId = 1;
function fileRow(operation: string, before: object | null, after: object | null): LogRow {
  const image = (state: object | null) =>
    state === null
      ? null
      : JSON.stringify({ id: 7, table_id: 3, path: 'd/a.parquet', astha_written: 0, ...state });
  return {
    id: nextId++,
    timestamp: '2026-12-06T00:00:00.000Z',
    tablename: 'table_files',
    operation,
    before: image(before),
    after: image(after),
  };
}

function routed(rows: LogRow[], route = wakes): Record<string, number[]> {
  const batch = convertBatch(rows, route);
  return Object.fromEntries(
    [...batch.outgoing].map(([component, messages]) => [component, messages.map((m) => Number(m.id))]),
  );
}

describe('routing changes by what wakes each component', () => {
  it("a file's life: only the changes a component can act on are sent to it", () => {
    nextId = 1;
    const rows = [
      fileRow('INSERT', null, { iceberg_state: 'pending' }),
      fileRow('UPDATE', { iceberg_state: 'pending' }, { iceberg_state: 'committing' }),
      fileRow('UPDATE', { iceberg_state: 'committing' }, { iceberg_state: 'committed' }),
      fileRow('INSERT', null, { iceberg_state: 'rejected', reject_reason: 'not parquet' }),
    ];
    expect(routed(rows)).toEqual({
      iceberg_updater: [1],
      compactor: [3],
      snapshotter: [1],
      metadata_orchestrator: [],
      catalog_sync: [],
    });
    // Every subscriber gets all four without the rule (the delivery machinery's tests use it).
    expect(routed(rows, everySubscriber)).toEqual({
      iceberg_updater: [1, 2, 3, 4],
      compactor: [1, 2, 3, 4],
      snapshotter: [1, 2, 3, 4],
      metadata_orchestrator: [],
      catalog_sync: [],
    });
  });
});
