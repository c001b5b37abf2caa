/**
 * The one place that says which component hears about which registry table.
 * Components are level-triggered (the registry is the truth), so a subscription only decides
 * which changes wake a component up, never what it must remember.
 */
import type { MonitoredTable } from '../registry/rows.js';

export const COMPONENTS = [
  'iceberg_updater',
  'compactor',
  'snapshotter',
  'metadata_orchestrator',
  'catalog_sync',
] as const;
export type Component = (typeof COMPONENTS)[number];

export const SUBSCRIPTIONS: Readonly<Record<Component, readonly MonitoredTable[]>> = {
  iceberg_updater: ['tables', 'table_metadata', 'table_files'],
  compactor: ['tables', 'table_files', 'file_statistics'],
  snapshotter: ['tables', 'table_files', 'table_metadata', 'table_snapshots'],
  metadata_orchestrator: ['tables', 'table_metadata'],
  // The metadata pointer and the state live on `tables`, the schema on `table_metadata`.
  catalog_sync: ['tables', 'table_metadata'],
};

/** Inverted once at load so routing a change is a single Map lookup. */
const ROUTES: ReadonlyMap<string, readonly Component[]> = invert(SUBSCRIPTIONS);

function invert(subscriptions: Readonly<Record<Component, readonly MonitoredTable[]>>) {
  const routes = new Map<string, Component[]>();
  for (const component of COMPONENTS) {
    for (const table of subscriptions[component]) {
      const list = routes.get(table) ?? [];
      list.push(component);
      routes.set(table, list);
    }
  }
  return routes;
}

const NONE: readonly Component[] = [];

/** The components subscribed to `table`; empty for a table nobody listens to. */
export function componentsFor(table: string): readonly Component[] {
  return ROUTES.get(table) ?? NONE;
}

export function isSubscribed(component: Component, table: string): boolean {
  return SUBSCRIPTIONS[component].includes(table as MonitoredTable);
}

export function isComponent(value: unknown): value is Component {
  return typeof value === 'string' && (COMPONENTS as readonly string[]).includes(value);
}
