/**
 * The contract every component implements (DESIGN.md step 5). Components are level-triggered:
 * an event says "look at this table", the registry holds the truth, so a redelivered,
 * reordered-across-tables or dropped event (repaired by `onRefresh`) is harmless.
 */
import type { ChangeEvent } from '../astha/events.js';
import type { Component } from '../astha/subscriptions.js';
import type { MonitoredTable } from '../registry/rows.js';

export interface HealthReport {
  healthy: boolean;
  detail?: string;
}

export interface ComponentLogic {
  readonly name: Component;
  readonly subscribedTables: readonly MonitoredTable[];
  /** Acts on one change; throwing makes the message (and its group's followers) retry. */
  onEvent(event: ChangeEvent): Promise<void>;
  /** Rebuilds whatever the component derives from the registry (after a breaker closed). */
  onRefresh(): Promise<void>;
  onHealth(): Promise<HealthReport>;
}
