/**
 * The Iceberg REST catalog (read path) behind API Gateway with IAM (SigV4) auth: engines find
 * astha's tables by name. Dependencies and the metadata cache are built once per container, so
 * a warm function answers from memory what it parsed before.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/log.js';
import { answerApiGatewayEvent } from '../lib/restCatalog/apiGatewayEvent.js';
import { createRestCatalog, type RestCatalog } from '../lib/restCatalog/restCatalog.js';
import { dependenciesOnce } from '../lib/runtime/dependencies.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: 'rest-catalog' });
const dependencies = dependenciesOnce(config, logger);

let catalog: RestCatalog | undefined;
async function ready(): Promise<RestCatalog> {
  if (catalog) return catalog;
  const deps = await dependencies();
  catalog = createRestCatalog({ client: deps.registry.client, store: deps.store, aws: config.aws, logger });
  return catalog;
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>().handler((event) =>
  answerApiGatewayEvent(event, ready, logger),
);
