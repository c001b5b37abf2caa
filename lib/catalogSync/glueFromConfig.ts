/**
 * The Glue port and database prefix catalog_sync runs with, from the typed configuration;
 * undefined when Glue is not configured (catalog_sync is off by default).
 */
import type { AsthaConfig } from '../config.js';
import { createAwsGlueCatalog } from './awsGlueCatalog.js';
import type { GlueCatalog } from './glueCatalog.js';

export interface GlueTarget {
  glue: GlueCatalog;
  databasePrefix: string;
}

export function glueFromConfig(config: Readonly<AsthaConfig>): GlueTarget | undefined {
  if (config.glue === undefined) return undefined;
  const { databasePrefix, endpoint, catalogId } = config.glue;
  const { region } = config.aws;
  const glue = createAwsGlueCatalog({
    ...(region !== undefined ? { region } : {}),
    // Glue has its own endpoint override: LocalStack's S3/SQS endpoint serves no Glue.
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(catalogId !== undefined ? { catalogId } : {}),
  });
  return { glue, databasePrefix };
}
