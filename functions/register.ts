/**
 * Registration: a batch of S3 event notifications (from the standard registration queue) in,
 * the objects registered in one registry transaction, partial batch failures out. Test events
 * and objects outside the warehouse are skipped by the logic; dependencies are built once per
 * container, on the first invocation.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../lib/config.js';
import { drainNudgeFromConfig } from '../lib/lambda/drainNudge.js';
import { createLogger } from '../lib/log.js';
import { createRegisterHandler, type RegisterHandler } from '../lib/register/registerHandler.js';
import { dependenciesOnce } from '../lib/runtime/dependencies.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: 'register' });
const dependencies = dependenciesOnce(config, logger);

let register: RegisterHandler | undefined;
async function ready(): Promise<RegisterHandler> {
  if (register) return register;
  const deps = await dependencies();
  register = createRegisterHandler({
    registry: deps.registry,
    store: deps.store,
    bucket: deps.warehouse.bucket,
    warehousePrefix: deps.warehouse.prefix,
    logger,
    verifyData: deps.config.registration.verifyData,
  });
  return register;
}

async function registerHandler(event: SQSEvent): Promise<SQSBatchResponse> {
  const { summary, ...response } = await (await ready())(event);
  logger.info(summary, 'registration batch');
  return response;
}

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(drainNudgeFromConfig(config, dependencies, logger))
  .handler(registerHandler);
