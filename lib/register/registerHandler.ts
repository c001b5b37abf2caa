/**
 * The register function's logic: an SQS batch of S3 notifications in, partial batch failures
 * out. All ObjectCreated objects of the batch are registered in one registry transaction;
 * a record is reported failed only if one of its objects could not be decided now (the store
 * or registry was unavailable) or its body is unreadable — bad files become `rejected` rows
 * and never fail the batch.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { AsthaError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { processStandardBatch } from '../lambda/sqsBatch.js';
import type { S3ObjectRef } from '../registry/planRegistration.js';
import type { Registry } from '../registry/registry.js';
import type { RegistrationOutcome } from '../registry/writeRegistrations.js';
import type { ObjectStore } from '../store/objectStore.js';
import { retryRejectedInNewTables } from './retryRejected.js';
import { type ObjectChange, parseS3Notification } from './s3Notification.js';

export interface RegisterDeps {
  registry: Registry;
  /** The warehouse store, rooted at `s3://<bucket>/<warehousePrefix>`. */
  store: ObjectStore;
  bucket: string;
  warehousePrefix: string;
  logger: Logger;
  /** Verify data pages, not only footers (default true; `ASTHA_VERIFY_DATA`). */
  verifyData?: boolean;
}

export interface RegisterSummary {
  registered: number;
  duplicates: number;
  rejected: number;
  ignored: number;
  removed: number;
  failed: number;
}

export type RegisterHandler = (event: SQSEvent) => Promise<SQSBatchResponse & { summary: RegisterSummary }>;

export function createRegisterHandler(deps: RegisterDeps): RegisterHandler {
  return async (event) => {
    const summary: RegisterSummary = {
      registered: 0,
      duplicates: 0,
      rejected: 0,
      ignored: 0,
      removed: 0,
      failed: 0,
    };
    const parsed = new Map<string, ObjectChange[]>();
    const unreadable = new Set<string>();
    for (const record of event.Records) {
      try {
        parsed.set(record.messageId, parseS3Notification(record.body));
      } catch (error) {
        // A body that is not an S3 notification will never become one: log it and let SQS
        // redrive it to the dead-letter queue where it stays inspectable.
        deps.logger.error(
          { messageId: record.messageId, err: errorMessage(error) },
          'unreadable notification',
        );
        unreadable.add(record.messageId);
      }
    }
    const outcomes = await registerCreated(deps, [...parsed.values()].flat(), summary);
    const result = await processStandardBatch(event.Records, async (record: SQSRecord) => {
      if (unreadable.has(record.messageId)) throw new Error('unreadable S3 notification');
      for (const change of parsed.get(record.messageId) ?? []) {
        if (change.kind === 'removed') await unregister(deps, change, summary);
        else {
          const outcome = outcomes.get(objectKey(change));
          if (outcome?.status === 'failed') throw outcome.error;
        }
      }
    });
    summary.failed = result.failures.length;
    for (const failure of result.failures) {
      deps.logger.warn(
        { messageId: failure.messageId, err: errorMessage(failure.error) },
        'notification will be retried',
      );
    }
    return { ...result.response, summary };
  };
}

function objectKey(object: { bucket: string; key: string }): string {
  return `${object.bucket}\u0000${object.key}`;
}

async function registerCreated(
  deps: RegisterDeps,
  changes: readonly ObjectChange[],
  summary: RegisterSummary,
): Promise<Map<string, RegistrationOutcome>> {
  const objects: S3ObjectRef[] = [];
  const seen = new Set<string>();
  for (const change of changes) {
    if (change.kind !== 'created') continue;
    if (change.bucket !== deps.bucket) {
      deps.logger.warn({ bucket: change.bucket, key: change.key }, 'notification for another bucket ignored');
      summary.ignored++;
      continue;
    }
    const id = objectKey(change);
    if (seen.has(id)) continue;
    seen.add(id);
    objects.push({ bucket: change.bucket, key: change.key, size: change.size, etag: change.etag });
  }
  const outcomes = new Map<string, RegistrationOutcome>();
  if (objects.length === 0) return outcomes;
  let results: RegistrationOutcome[];
  try {
    results = await deps.registry.registerBatch(objects, deps.store, {
      warehousePrefix: deps.warehousePrefix,
      ...(deps.verifyData === undefined ? {} : { verifyData: deps.verifyData }),
    });
  } catch (error) {
    // The transaction itself failed (registry unavailable): every object is retried.
    results = objects.map((object) => ({ object, status: 'failed' as const, error: asAsthaError(error) }));
  }
  for (const outcome of results) {
    outcomes.set(objectKey(outcome.object), outcome);
    countOutcome(outcome, summary, deps.logger);
  }
  // Not part of this batch's answer: a failed retry leaves the records as they were.
  await retryRejectedInNewTables(deps, results).then(
    (retried) => {
      for (const outcome of retried) countOutcome(outcome, summary, deps.logger);
    },
    (error: unknown) => deps.logger.warn({ err: errorMessage(error) }, 'retrying rejected objects failed'),
  );
  return outcomes;
}

function countOutcome(outcome: RegistrationOutcome, summary: RegisterSummary, logger: Logger): void {
  const where = { key: outcome.object.key };
  switch (outcome.status) {
    case 'registered':
      summary.registered++;
      logger.info({ ...where, tableId: outcome.tableId, fileId: outcome.fileId }, 'file registered');
      break;
    case 'duplicate':
      summary.duplicates++;
      break;
    case 'rejected':
      summary.rejected++;
      logger.warn({ ...where, reason: outcome.reason }, 'file rejected');
      break;
    case 'ignored':
      summary.ignored++;
      break;
    case 'failed':
      break;
  }
}

async function unregister(
  deps: RegisterDeps,
  change: Extract<ObjectChange, { kind: 'removed' }>,
  summary: RegisterSummary,
): Promise<void> {
  if (change.bucket !== deps.bucket) return;
  const outcome = await deps.registry.unregisterObject(
    { bucket: change.bucket, key: change.key },
    deps.store,
    {
      warehousePrefix: deps.warehousePrefix,
    },
  );
  if (outcome.status === 'removed' || outcome.status === 'retracted') summary.removed++;
  else summary.ignored++;
}

function asAsthaError(error: unknown) {
  return error instanceof AsthaError
    ? error
    : new AsthaError('backend', errorMessage(error), { retryable: true, cause: error });
}
