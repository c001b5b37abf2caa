/**
 * Registration, phase 2: all plans of a batch in ONE write request when they are the common
 * case (registrationBatch.ts), otherwise in ONE write transaction.
 *
 * In the transaction: the whole batch as one set-based group (registrationGroup.ts). If that
 * fails for any reason but a busy database, it is rolled back to a savepoint and the batch is
 * written again one object per savepoint, so the object that fails is undone alone and reported
 * `failed` while the rest commits. Table statistics are summed per table and written once at
 * the end: one `tables` CDC row per table per batch, not one per file.
 */
import type { Client, Transaction } from '@libsql/client';
import { AsthaError, errorMessage } from '../errors.js';
import type { RegistrationPlan } from './planRegistration.js';
import {
  type Delta,
  type GroupResult,
  type RegistrationFaults,
  type RegistrationOutcome,
  writeRegistrationGroup,
} from './registrationGroup.js';
import { registerInOneBatch } from './registrationBatch.js';
import { RegistryError } from './registryError.js';
import { NOW_SQL } from './schema.js';
import { isBusy, isConstraintViolation, writeTransaction } from './writeTransaction.js';

export type { RegistrationFaults, RegistrationOutcome } from './registrationGroup.js';

type Tx = Pick<Transaction, 'execute'>;

const needsWrite = (plan: RegistrationPlan) =>
  plan.kind === 'file' || plan.kind === 'unreadable' || plan.kind === 'outside';

/** Writes the plans in one request or one transaction; returns one outcome per plan, in order. */
export async function writeRegistrations(
  client: Client,
  plans: readonly RegistrationPlan[],
  faults: RegistrationFaults = {},
): Promise<RegistrationOutcome[]> {
  if (!plans.some(needsWrite)) {
    // Duplicates, ignored and failed plans touch nothing: no transaction needed.
    return plans.map(outcomeWithoutWrite);
  }
  try {
    // The fault points inside the group's writes exist only on the transactional path.
    if (!faults.afterFileRow && !faults.beforeCommit) {
      const written = await registerInOneBatch(client, plans, faults).catch((error: unknown) => {
        // A file row another writer inserted meanwhile: the transaction sees it as a duplicate.
        if (isConstraintViolation(error)) return undefined;
        throw error;
      });
      if (written) return written;
    }
    return await writeTransaction(client, async (tx) => {
      const batch = await inSavepoint(tx, 'batch', () => writeRegistrationGroup(tx, plans, faults));
      const result = batch.ok ? batch.value : await oneByOne(tx, plans, faults);
      for (const [tableId, delta] of result.deltas) await applyDelta(tx, tableId, delta);
      await faults.beforeCommit?.();
      return result.outcomes;
    });
  } catch (error) {
    // Nothing of the batch was committed: the caller retries every notification of it.
    if (error instanceof AsthaError) throw error;
    throw new RegistryError('backend', `registration batch rolled back: ${errorMessage(error)}`, {
      cause: error,
      retryable: true,
    });
  }
}

function outcomeWithoutWrite(plan: RegistrationPlan): RegistrationOutcome {
  if (plan.kind === 'duplicate')
    return { object: plan.object, status: 'duplicate', tableId: plan.tableId, fileId: plan.fileId };
  if (plan.kind === 'ignored') return { object: plan.object, status: 'ignored', reason: plan.reason };
  if (plan.kind === 'failed') return { object: plan.object, status: 'failed', error: plan.error };
  throw new RegistryError('backend', `plan ${plan.kind} needs a write`);
}

/**
 * Runs `work` inside a savepoint; on failure rolls back to it and returns the error, or
 * rethrows when the database is busy (the whole transaction must be retried then).
 */
async function inSavepoint<T>(
  tx: Tx,
  name: string,
  work: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  await tx.execute(`SAVEPOINT ${name}`);
  try {
    const value = await work();
    await tx.execute(`RELEASE ${name}`);
    return { ok: true, value };
  } catch (error) {
    if (isBusy(error)) throw error;
    await tx.execute(`ROLLBACK TO ${name}`);
    await tx.execute(`RELEASE ${name}`);
    return { ok: false, error };
  }
}

async function oneByOne(
  tx: Tx,
  plans: readonly RegistrationPlan[],
  faults: RegistrationFaults,
): Promise<GroupResult> {
  const outcomes: RegistrationOutcome[] = [];
  const deltas = new Map<number, Delta>();
  for (const plan of plans) {
    const single = await inSavepoint(tx, 'object', () => writeRegistrationGroup(tx, [plan], faults));
    if (single.ok) {
      outcomes.push(single.value.outcomes[0]!);
      for (const [tableId, delta] of single.value.deltas) addDelta(deltas, tableId, delta);
      continue;
    }
    const error = single.error;
    const wrapped =
      error instanceof AsthaError
        ? error
        : new RegistryError('backend', `registering ${plan.object.key} failed: ${errorMessage(error)}`, {
            cause: error,
            retryable: true,
          });
    outcomes.push({ object: plan.object, status: 'failed', error: wrapped });
  }
  return { outcomes, deltas };
}

function addDelta(deltas: Map<number, Delta>, tableId: number, delta: Delta): void {
  const current = deltas.get(tableId) ?? { rows: 0, bytes: 0, files: 0 };
  deltas.set(tableId, {
    rows: current.rows + delta.rows,
    bytes: current.bytes + delta.bytes,
    files: current.files + delta.files,
  });
}

export async function applyDelta(tx: Tx, tableId: number, delta: Delta): Promise<void> {
  if (delta.rows === 0 && delta.bytes === 0 && delta.files === 0) return;
  await tx.execute({
    sql: `UPDATE tables SET row_count = row_count + ?, total_size = total_size + ?, file_count = file_count + ?,
            last_modified = ${NOW_SQL} WHERE id = ?`,
    args: [delta.rows, delta.bytes, delta.files, tableId],
  });
}
