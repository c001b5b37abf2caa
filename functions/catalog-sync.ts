/**
 * The catalog_sync function: FIFO batches of Astha change events and control messages in,
 * partial batch failures out. A moved metadata pointer, a schema change or a drop makes the
 * component bring the table's Glue Data Catalog entry in step; `refresh` looks at every table.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createCatalogSync } from '../lib/catalogSync/catalogSync.js';
import { glueFromConfig } from '../lib/catalogSync/glueFromConfig.js';
import { createComponentHandler, type ComponentHandler } from '../lib/components/componentHandler.js';
import { ConfigError, loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/log.js';
import { dependenciesOnce } from '../lib/runtime/dependencies.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: 'catalog_sync' });
const dependencies = dependenciesOnce(config, logger);

let handle: ComponentHandler | undefined;
async function ready(): Promise<ComponentHandler> {
  if (!handle) {
    const target = glueFromConfig(config);
    if (!target) throw new ConfigError('catalog_sync needs ASTHA_GLUE_DATABASE_PREFIX');
    const { registry } = await dependencies();
    handle = createComponentHandler(createCatalogSync({ registry, ...target, logger }), logger);
  }
  return handle;
}

async function catalogSyncHandler(event: SQSEvent): Promise<SQSBatchResponse> {
  const { summary, ...response } = await (await ready())(event);
  logger.debug(summary, 'catalog_sync batch');
  return response;
}

export const handler = middy<SQSEvent, SQSBatchResponse>().handler(catalogSyncHandler);
