/**
 * `register <path|s3-uri>... [--sync]` and `backfill [prefix]`: put files that are already in
 * the warehouse into the registry directly (no notification needed). Backfill streams the
 * listing in pages and registers in batches, so a prefix of 100,000 objects never sits in
 * memory at once.
 */
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForCommit } from '../components/waitForCommit.js';
import { isRegistrationCandidate } from '../layout/warehousePath.js';
import { errorMessage } from '../errors.js';
import { fileStates } from '../registry/catalogReads.js';
import type { S3ObjectRef } from '../registry/planRegistration.js';
import type { RegistrationOutcome } from '../registry/writeRegistrations.js';
import type { Dependencies } from '../runtime/dependencies.js';
import { retryRejectedInNewTables } from '../register/retryRejected.js';
import { type CliContext, UsageError } from './context.js';
import { progressBar } from './output.js';

const BACKFILL_BATCH = 200;

/** A CLI argument → the object's key in the warehouse store. */
export function warehouseKeyOf(deps: Dependencies, argument: string): string {
  const { warehouse } = deps;
  if (argument.startsWith('s3://')) {
    const url = new URL(argument);
    const key = decodeURIComponent(url.pathname.slice(1));
    if (url.hostname !== warehouse.bucket) {
      throw new UsageError(`${argument} is not in the warehouse bucket ${warehouse.bucket}`);
    }
    const prefix = warehouse.prefix === '' ? '' : `${warehouse.prefix}/`;
    if (!key.startsWith(prefix))
      throw new UsageError(`${argument} is outside the warehouse prefix ${warehouse.prefix}/`);
    return key.slice(prefix.length);
  }
  if (warehouse.url.startsWith('file:')) {
    const root = fileURLToPath(warehouse.url);
    const path = relative(root, resolve(argument));
    if (path.startsWith('..') || path === '')
      throw new UsageError(`${argument} is not inside the warehouse ${root}`);
    return path.split('\\').join('/');
  }
  return argument;
}

function objectRef(deps: Dependencies, key: string, size: number, etag: string): S3ObjectRef {
  const prefix = deps.warehouse.prefix === '' ? '' : `${deps.warehouse.prefix}/`;
  return { bucket: deps.warehouse.bucket, key: `${prefix}${key}`, size, etag };
}

function describe(outcome: RegistrationOutcome): string {
  switch (outcome.status) {
    case 'registered':
      return `registered (table ${outcome.tableId}, file ${outcome.fileId}${outcome.tableCreated ? ', new table' : ''}${outcome.schemaEvolved ? ', schema evolved' : ''})`;
    case 'duplicate':
      return 'already registered';
    case 'rejected':
      return `rejected: ${outcome.reason}`;
    case 'ignored':
      return `ignored: ${outcome.reason}`;
    case 'failed':
      return `failed: ${outcome.error.message}`;
  }
}

export async function registerCommand(
  ctx: CliContext,
  paths: readonly string[],
  options: { sync: boolean; timeoutSeconds: number },
): Promise<number> {
  if (paths.length === 0)
    throw new UsageError('usage: astha register <path|s3-uri>... [--sync] [--timeout <s>]');
  const deps = await ctx.deps();
  const objects: S3ObjectRef[] = [];
  for (const path of paths) {
    const key = warehouseKeyOf(deps, path);
    const info = await deps.store.head(key);
    if (!info) throw new UsageError(`${path}: no such object in the warehouse (key ${key})`);
    objects.push(objectRef(deps, key, info.size, info.etag));
  }
  const outcomes = await deps.registry.registerBatch(objects, deps.store, {
    warehousePrefix: deps.warehouse.prefix,
    verifyData: deps.config.registration.verifyData,
  });
  await retryRejectedInNewTables(retryDeps(ctx, deps), outcomes);
  const results = outcomes.map((o, i) => ({
    path: paths[i]!,
    status: o.status as RegistrationOutcome['status'] | 'previously rejected',
    detail: describe(o),
    ...ids(o),
  }));
  await markPreviouslyRejected(deps, results);
  let failures = results.filter(
    (r) => r.status !== 'registered' && r.status !== 'duplicate' && r.status !== 'ignored',
  ).length;
  if (options.sync) {
    for (const result of results) {
      if (result.fileId === undefined || (result.status !== 'registered' && result.status !== 'duplicate'))
        continue;
      try {
        const committed = await waitForCommit(
          deps.registry,
          { fileId: result.fileId },
          { timeoutMs: options.timeoutSeconds * 1000 },
        );
        result.detail = `committed in snapshot ${committed.snapshotId}`;
      } catch (error) {
        failures++;
        result.detail = `not committed: ${errorMessage(error)} (is \`astha start\` or the deployed stack running?)`;
      }
    }
  }
  if (ctx.out.json) ctx.out.data(results);
  else for (const r of results) ctx.out.line(`${r.path}: ${r.detail}`);
  return failures === 0 ? 0 : 1;
}

/** A file registered before and rejected then is not "already registered": say why it was refused. */
async function markPreviouslyRejected(
  deps: Dependencies,
  results: { status: string; detail: string; fileId?: number }[],
): Promise<void> {
  const duplicates = results.filter((r) => r.status === 'duplicate' && r.fileId !== undefined);
  const states = await fileStates(
    deps.registry.client,
    duplicates.map((r) => r.fileId!),
  );
  for (const result of duplicates) {
    const known = states.get(result.fileId!);
    if (known?.state === 'rejected') {
      result.status = 'previously rejected';
      result.detail = `rejected when first registered: ${known.reason ?? 'no reason recorded'}`;
    } else if (known) result.detail = `already registered (${known.state})`;
  }
}

function retryDeps(ctx: CliContext, deps: Dependencies) {
  return {
    registry: deps.registry,
    store: deps.store,
    warehousePrefix: deps.warehouse.prefix,
    logger: ctx.logger,
  };
}

function ids(outcome: RegistrationOutcome): { fileId?: number; tableId?: number } {
  if (outcome.status === 'registered' || outcome.status === 'duplicate')
    return { fileId: outcome.fileId, tableId: outcome.tableId };
  if (outcome.status === 'rejected')
    return { ...(outcome.fileId === undefined ? {} : { fileId: outcome.fileId }) };
  return {};
}

export interface BackfillSummary {
  listed: number;
  registered: number;
  duplicates: number;
  rejected: number;
  ignored: number;
  failed: number;
  /** Objects rejected earlier while their table did not exist, registered again now that it does. */
  retried: number;
  seconds: number;
}

export async function backfillCommand(ctx: CliContext, prefix: string): Promise<number> {
  const deps = await ctx.deps();
  const summary: BackfillSummary = {
    listed: 0,
    registered: 0,
    duplicates: 0,
    rejected: 0,
    ignored: 0,
    failed: 0,
    retried: 0,
    seconds: 0,
  };
  const started = Date.now();
  let batch: S3ObjectRef[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const outcomes = await deps.registry.registerBatch(batch, deps.store, {
      warehousePrefix: deps.warehouse.prefix,
      verifyData: deps.config.registration.verifyData,
    });
    const retried = await retryRejectedInNewTables(retryDeps(ctx, deps), outcomes);
    summary.retried += retried.length;
    for (const outcome of outcomes) {
      if (outcome.status === 'registered') summary.registered++;
      else if (outcome.status === 'duplicate') summary.duplicates++;
      else if (outcome.status === 'rejected') summary.rejected++;
      else if (outcome.status === 'ignored') summary.ignored++;
      else summary.failed++;
    }
    batch = [];
    ctx.out.progress(
      `${progressBar(summary.listed, undefined, started, 'files')}  registered ${summary.registered}, rejected ${summary.rejected}`,
    );
  };
  for await (const object of deps.store.list(prefix)) {
    if (!isRegistrationCandidate(object.key)) continue;
    summary.listed++;
    batch.push(objectRef(deps, object.key, object.size, object.etag));
    if (batch.length >= BACKFILL_BATCH) await flush();
  }
  await flush();
  ctx.out.done();
  summary.seconds = Math.round((Date.now() - started) / 100) / 10;
  if (ctx.out.json) ctx.out.data(summary);
  else {
    ctx.out.line(
      `backfill of ${prefix || 'the whole warehouse'}: ${summary.listed} data files, ${summary.registered} registered, ` +
        `${summary.duplicates} already known, ${summary.rejected} rejected, ${summary.ignored} ignored, ${summary.failed} failed in ${summary.seconds} s`,
    );
    if (summary.retried > 0)
      ctx.out.line(
        `${summary.retried} objects rejected before their table existed were registered again in it`,
      );
    if (summary.rejected > 0) ctx.out.line('the reasons: astha rejections');
    if (summary.registered > 0)
      ctx.out.line(
        'registered files commit once `astha start` (or the deployed stack) runs; until then nothing commits',
      );
  }
  return summary.failed === 0 ? 0 : 1;
}
