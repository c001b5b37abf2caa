/**
 * The `/v1/config` answer: the endpoints served, and for an S3 warehouse what an engine needs
 * to open its files (region; endpoint and path-style addressing for LocalStack or another
 * S3-compatible endpoint). These are `defaults`, so a client's own settings win; no
 * credentials are ever handed out here.
 */
import type { AwsClientOptions } from '../config.js';
import { ENDPOINTS } from './catalogRoutes.js';

export interface CatalogConfigResponse {
  defaults: Record<string, string>;
  overrides: Record<string, string>;
  endpoints: readonly string[];
}

export function catalogConfig(warehouseUrl: string, aws: Readonly<AwsClientOptions>): CatalogConfigResponse {
  const defaults: Record<string, string> = {};
  if (warehouseUrl.startsWith('s3://')) {
    if (aws.region) defaults['s3.region'] = aws.region;
    // PyIceberg reads `client.region` too when `s3.region` is not set by the client.
    if (aws.region) defaults['client.region'] = aws.region;
    if (aws.endpoint) {
      defaults['s3.endpoint'] = aws.endpoint;
      defaults['s3.path-style-access'] = 'true';
    }
  }
  return { defaults, overrides: {}, endpoints: ENDPOINTS };
}
