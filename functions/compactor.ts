/**
 * The compactor function: FIFO batches of Astha change events and control messages in,
 * partial batch failures out. A file committed to a table makes the component look at the
 * table's partitions and rewrite small files; `refresh` looks at every table.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createCompactor } from '../lib/compactor/compactor.js';
import { createComponentHandler, type ComponentHandler } from '../lib/components/componentHandler.js';
import { loadConfig } from '../lib/config.js';
import { drainNudgeFromConfig } from '../lib/lambda/drainNudge.js';
import { createLogger } from '../lib/log.js';
import { dependenciesOnce } from '../lib/runtime/dependencies.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: 'compactor' });
const dependencies = dependenciesOnce(config, logger);

let handle: ComponentHandler | undefined;
async function ready(): Promise<ComponentHandler> {
  if (!handle) {
    const { registry, store } = await dependencies();
    handle = createComponentHandler(createCompactor({ registry, store, logger }), logger);
  }
  return handle;
}

async function compactorHandler(event: SQSEvent): Promise<SQSBatchResponse> {
  const { summary, ...response } = await (await ready())(event);
  logger.debug(summary, 'compactor batch');
  return response;
}

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(drainNudgeFromConfig(config, dependencies, logger))
  .handler(compactorHandler);
