/**
 * How tests reach the real services the suite runs against.
 * LocalStack is started once by the global setup (or an already-running one is reused);
 * sqld is started per test file with `startSqld()`, so each file gets an empty database.
 */
import { inject } from 'vitest';

export interface LocalstackInfo {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    localstackEndpoint: string;
  }
}

/** The LocalStack S3/SQS endpoint the global setup made sure is running. */
export function localstack(): LocalstackInfo {
  return {
    endpoint: inject('localstackEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
}

export { freePort, type SqldServer, startSqld, uniqueName } from './processes.js';
