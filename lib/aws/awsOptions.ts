/**
 * How the S3 and SQS adapters build their SDK clients. The values come from the typed
 * configuration (parsed once elsewhere); nothing here reads `process.env`. Whatever is left
 * undefined falls back to the SDK's own default chain (Lambda role, profile, region env).
 */
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { SQSClientConfig } from '@aws-sdk/client-sqs';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsOptions {
  region?: string;
  /** Endpoint override, e.g. LocalStack's `http://127.0.0.1:4566`. */
  endpoint?: string;
  /** S3 path-style addressing; defaults to true when `endpoint` is set. */
  forcePathStyle?: boolean;
  credentials?: AwsCredentials;
}

function baseConfig(options: AwsOptions): S3ClientConfig & SQSClientConfig {
  const config: S3ClientConfig & SQSClientConfig = {};
  if (options.region !== undefined) config.region = options.region;
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.credentials !== undefined) config.credentials = { ...options.credentials };
  return config;
}

/** S3 client options; an endpoint override implies path style (LocalStack, MinIO have no bucket DNS). */
export function s3ClientConfig(options: AwsOptions): S3ClientConfig {
  const forcePathStyle = options.forcePathStyle ?? options.endpoint !== undefined;
  return { ...baseConfig(options), forcePathStyle };
}

export function sqsClientConfig(options: AwsOptions): SQSClientConfig {
  return baseConfig(options);
}

/** Lambda client options (the drainer nudge's async invoke). */
export function lambdaClientConfig(options: AwsOptions): SQSClientConfig {
  return baseConfig(options);
}
