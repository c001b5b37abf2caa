/**
 * The iceberg_updater function: FIFO batches of Astha change events and control messages in,
 * partial batch failures out (a failure stops the rest of its table's group). Each event makes
 * the component commit the table's pending files; `refresh` commits every table with work.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createComponentHandler, type ComponentHandler } from '../lib/components/componentHandler.js';
import { createIcebergUpdater } from '../lib/components/icebergUpdater.js';
import { loadConfig } from '../lib/config.js';
import { drainNudgeFromConfig } from '../lib/lambda/drainNudge.js';
import { createLogger } from '../lib/log.js';
import { dependenciesOnce } from '../lib/runtime/dependencies.js';
import { commitPolicyGate } from '../lib/snapshotter/commitPolicy.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: 'iceberg_updater' });
const dependencies = dependenciesOnce(config, logger);

let handle: ComponentHandler | undefined;
async function ready(): Promise<ComponentHandler> {
  const deps = await dependencies();
  // The table's commit policy (every N files, T seconds, N bytes) decides when a look commits.
  handle ??= createComponentHandler(
    createIcebergUpdater({ ...deps, commitGate: commitPolicyGate(deps.registry) }),
    logger,
  );
  return handle;
}

async function updaterHandler(event: SQSEvent): Promise<SQSBatchResponse> {
  const { summary, ...response } = await (await ready())(event);
  logger.debug(summary, 'iceberg_updater batch');
  return response;
}

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(drainNudgeFromConfig(config, dependencies, logger))
  .handler(updaterHandler);
