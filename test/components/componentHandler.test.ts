import { describe, expect, it } from 'vitest';
import { type ChangeEvent, encodeChanges, encodeMessage, refreshMessage } from '../../lib/astha/events.js';
import type { ComponentLogic } from '../../lib/components/component.js';
import { createComponentHandler } from '../../lib/components/componentHandler.js';
import { silentLogger } from '../../lib/log.js';
import type { TableFileRow } from '../../lib/registry/rows.js';
import { sqsRecord } from '../lambda/sqsRecords.js';

function fileEvent(id: number, tableId: number, path: string): ChangeEvent {
  const after = { id, table_id: tableId, path, iceberg_state: 'pending' } as TableFileRow;
  return {
    kind: 'change',
    id,
    table: 'table_files',
    operation: 'INSERT',
    after,
    timestamp: new Date().toISOString(),
  };
}

function recordingComponent(failOn: (event: ChangeEvent) => boolean) {
  const seen: number[] = [];
  let refreshes = 0;
  const logic: ComponentLogic = {
    name: 'iceberg_updater',
    subscribedTables: ['tables', 'table_files'],
    async onEvent(event) {
      seen.push(event.id);
      if (failOn(event)) throw new Error(`cannot handle ${event.id}`);
    },
    async onRefresh() {
      refreshes++;
    },
    async onHealth() {
      return { healthy: true };
    },
  };
  return { logic, seen, refreshes: () => refreshes };
}

describe('component handler', () => {
  it('runs each table in order, stops a table at its failure, lets other tables and control messages through', async () => {
    const component = recordingComponent((e) => e.id === 2);
    const handler = createComponentHandler(component.logic, silentLogger());
    const records = [
      sqsRecord(encodeMessage(fileEvent(1, 7, 'a')), { messageId: '1', groupId: 'table-7' }),
      sqsRecord(encodeMessage(fileEvent(2, 7, 'b')), { messageId: '2', groupId: 'table-7' }),
      sqsRecord(encodeMessage(fileEvent(3, 8, 'c')), { messageId: '3', groupId: 'table-8' }),
      sqsRecord(encodeMessage(fileEvent(4, 7, 'd')), { messageId: '4', groupId: 'table-7' }),
      sqsRecord(encodeMessage(refreshMessage('iceberg_updater', new Date())), {
        messageId: 'r',
        groupId: 'control',
      }),
    ];
    const response = await handler({ Records: records });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '2' }, { itemIdentifier: '4' }]);
    expect(component.seen.sort()).toEqual([1, 2, 3]);
    expect(component.refreshes()).toBe(1);
    expect(response.summary).toEqual({ processed: 3, failed: 1, skipped: 1 });
  });

  it('fails an undecodable message without touching the component', async () => {
    const component = recordingComponent(() => false);
    const handler = createComponentHandler(component.logic, silentLogger());
    const response = await handler({
      Records: [
        sqsRecord('{"kind":"change"}', { messageId: 'bad', groupId: 'g' }),
        sqsRecord(encodeMessage(fileEvent(5, 9, 'e')), { messageId: 'ok', groupId: 'h' }),
      ],
    });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect(component.seen).toEqual([5]);
  });

  it("handles a ChangeBatch's changes in order, skips tables it is not subscribed to, fails it whole at a failing change", async () => {
    const component = recordingComponent((e) => e.id === 13);
    const handler = createComponentHandler(component.logic, silentLogger());
    const snapshot = {
      kind: 'change',
      id: 11,
      table: 'table_snapshots',
      operation: 'INSERT',
      after: { table_id: 7, snapshot_id: '1' },
      timestamp: new Date().toISOString(),
    };
    const batch = (events: object[], id: string) =>
      encodeChanges(
        events.map((e) => JSON.stringify(e)),
        id,
        new Date().toISOString(),
      );
    const records = [
      sqsRecord(batch([fileEvent(10, 7, 'a'), snapshot, fileEvent(12, 7, 'b')], '10-12'), {
        messageId: 'b1',
        groupId: 'table-7',
      }),
      sqsRecord(batch([fileEvent(13, 8, 'c'), fileEvent(14, 8, 'd')], '13-14'), {
        messageId: 'b2',
        groupId: 'table-8',
      }),
    ];
    const response = await handler({ Records: records });
    // Tables run side by side; within one, the batch's order. 14 never runs after 13 failed.
    expect(component.seen.filter((id) => id < 13)).toEqual([10, 12]);
    expect(component.seen.filter((id) => id >= 13)).toEqual([13]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'b2' }]);
    expect(response.summary).toEqual({ processed: 1, failed: 1, skipped: 0 });
  });

  it('fails a ChangeBatch with a malformed change as invalid, leaving other tables to run', async () => {
    const component = recordingComponent(() => false);
    const handler = createComponentHandler(component.logic, silentLogger());
    const bad = encodeChanges(
      [JSON.stringify(fileEvent(20, 7, 'a')), '{"kind":"change","id":"x"}'],
      '20-21',
      new Date().toISOString(),
    );
    const response = await handler({
      Records: [
        sqsRecord(bad, { messageId: 'bad', groupId: 'table-7' }),
        sqsRecord(encodeMessage(fileEvent(22, 8, 'b')), { messageId: 'ok', groupId: 'table-8' }),
      ],
    });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect(component.seen).toEqual([22]);
  });
});
