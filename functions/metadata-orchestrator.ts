/**
 * The metadata_orchestrator function: FIFO batches of table-level Astha events in (new tables,
 * schema and property changes, drops), the Iceberg metadata brought up to the registry,
 * partial batch failures out; `refresh` re-checks every active table.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createComponentHandler, type ComponentHandler } from '../lib/components/componentHandler.js';
import { createMetadataOrchestrator } from '../lib/components/metadataOrchestrator.js';
import { loadConfig } from '../lib/config.js';
import { drainNudgeFromConfig } from '../lib/lambda/drainNudge.js';
import { createLogger } from '../lib/log.js';
import { dependenciesOnce } from '../lib/runtime/dependencies.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: 'metadata_orchestrator' });
const dependencies = dependenciesOnce(config, logger);

let handle: ComponentHandler | undefined;
async function ready(): Promise<ComponentHandler> {
  handle ??= createComponentHandler(createMetadataOrchestrator(await dependencies()), logger);
  return handle;
}

async function orchestratorHandler(event: SQSEvent): Promise<SQSBatchResponse> {
  const { summary, ...response } = await (await ready())(event);
  logger.debug(summary, 'metadata_orchestrator batch');
  return response;
}

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(drainNudgeFromConfig(config, dependencies, logger))
  .handler(orchestratorHandler);
