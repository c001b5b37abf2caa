/**
 * Nudging the drainer: a function that wrote registry changes tells the drainer to run, so
 * changes are drained promptly without a process polling the log. A nudge is a hint, never
 * the only path: the drainer's schedule is the safety net for a nudge that is lost.
 */
import type { Client } from '@libsql/client';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

/** Starts a drainer run soon (a Lambda async invoke, or a wake-up of the local drain loop). */
export interface DrainNudger {
  nudge(): Promise<void>;
}

/** One cheap read: does the change log hold anything? */
export async function hasPendingChanges(registry: Client): Promise<boolean> {
  const result = await registry.execute('SELECT EXISTS (SELECT 1 FROM __cdc_log) AS pending');
  return Number(result.rows[0]?.['pending'] ?? 0) === 1;
}

/**
 * After a writer's transactions: nudge only when changes wait, so a batch that wrote
 * nothing (or whose changes a running drainer already took) starts nothing. A failed nudge
 * is logged and left to the schedule; it never fails the writer's batch.
 */
export async function nudgeIfPending(
  registry: Client,
  nudger: DrainNudger,
  logger: Logger,
): Promise<boolean> {
  try {
    if (!(await hasPendingChanges(registry))) return false;
    await nudger.nudge();
    return true;
  } catch (error) {
    logger.warn({ err: errorMessage(error) }, 'drainer nudge failed; the schedule will drain the changes');
    return false;
  }
}
