/**
 * Which changes wake which component: each component's own rule, in one place, so the drainer
 * routes a change only to the components it can give work to (a component's own echoes, the
 * statistics every registration touches) and each component applies the same rule to what it
 * receives. Pure functions over events: the drainer's bundle stays free of component code.
 */
import type { ChangeEvent } from './events.js';
import type { Component } from './subscriptions.js';

/** Whether a change may leave the table with work for the updater. */
export function wakesUpdater(event: ChangeEvent): boolean {
  switch (event.table) {
    case 'table_files': {
      // New files and claims handed back by recovery; not our own `committing`/`committed` moves.
      // A committed file whose object was deleted must leave the table in a later snapshot.
      const state = event.after?.iceberg_state;
      if (event.operation === 'DELETE') return false;
      return state === 'pending' || (state === 'removed' && event.before?.iceberg_state === 'committed');
    }
    case 'tables':
      // Registration touches statistics and commits move the pointer: only birth and revival count.
      return (
        event.operation === 'INSERT' ||
        (event.operation === 'UPDATE' && event.before?.state !== 'active' && event.after?.state === 'active')
      );
    case 'table_metadata':
      // A new schema or properties: pending files must be written against the new definition.
      return event.operation !== 'DELETE';
    default:
      return false;
  }
}

/** Whether a change may give the table something to compact. */
export function wakesCompactor(event: ChangeEvent): boolean {
  if (event.table === 'table_files') {
    const after = event.after;
    if (event.operation !== 'UPDATE' || !after) return false;
    // A compacted-away file the user removed: its rows must leave the outputs.
    if (after.retracted_at && !event.before?.retracted_at) return true;
    return (
      after.iceberg_state === 'committed' &&
      event.before?.iceberg_state !== 'committed' &&
      after.astha_written === 0
    );
  }
  // A (re)activated table may already hold many small files.
  if (event.table === 'tables') {
    return (
      event.operation === 'UPDATE' && event.before?.state !== 'active' && event.after?.state === 'active'
    );
  }
  return false;
}

/** Changes that can make a batching table due: new pending files and definition touches (requests). */
export function wakesSnapshotter(event: ChangeEvent): boolean {
  if (event.table === 'table_files')
    return event.operation !== 'DELETE' && event.after?.iceberg_state === 'pending';
  return event.table === 'table_metadata' && event.operation === 'UPDATE';
}

/** The table-level changes this component acts on; the rest are its own echoes or statistics. */
export function wakesOrchestrator(event: ChangeEvent): boolean {
  if (event.table === 'tables') {
    if (event.operation === 'INSERT') return true;
    return event.operation === 'UPDATE' && event.before?.state !== event.after?.state;
  }
  if (event.table !== 'table_metadata' || event.operation === 'DELETE') return false;
  if (event.operation === 'INSERT') return true;
  const before = event.before;
  const after = event.after;
  return (
    before?.schema_id !== after?.schema_id ||
    before?.schema_json !== after?.schema_json ||
    before?.properties_json !== after?.properties_json
  );
}

/** Whether a change may move what Glue should show: the metadata pointer, the schema, a drop. */
export function wakesCatalogSync(event: ChangeEvent): boolean {
  if (event.table === 'tables') {
    if (event.operation !== 'UPDATE') return false;
    return (
      event.before?.metadata_location !== event.after?.metadata_location ||
      event.before?.state !== event.after?.state
    );
  }
  // A new table's metadata row comes before its first commit: nothing to show in Glue yet.
  if (event.table === 'table_metadata') {
    return event.operation === 'UPDATE' && event.before?.schema_json !== event.after?.schema_json;
  }
  return false;
}

const WAKES: Readonly<Record<Component, (event: ChangeEvent) => boolean>> = {
  iceberg_updater: wakesUpdater,
  compactor: wakesCompactor,
  snapshotter: wakesSnapshotter,
  metadata_orchestrator: wakesOrchestrator,
  catalog_sync: wakesCatalogSync,
};

/** Whether `event` may give `component` work (only changes of its subscribed tables are asked about). */
export function wakes(component: Component, event: ChangeEvent): boolean {
  return WAKES[component](event);
}
