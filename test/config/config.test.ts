import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_REGISTRY_URL, loadConfig } from '../../lib/config.js';

describe('loadConfig', () => {
  it('gives the embedded defaults on an empty environment', () => {
    const config = loadConfig({});
    expect(config.registry.url).toBe(DEFAULT_REGISTRY_URL);
    expect(config.warehouse).toBe('file://./warehouse');
    expect(config.aws.endpoint).toBeUndefined();
    expect(config.drain).toEqual({ pollIntervalMs: 100, batchSize: 256, safetyMarginMs: 5000 });
    expect(Object.isFrozen(config.drain)).toBe(true);
  });

  it('serves the REST catalog on loopback 8181 by default; port and token from the environment', () => {
    expect(loadConfig({}).catalog).toEqual({ host: '127.0.0.1', port: 8181, token: undefined });
    expect(
      loadConfig({ ASTHA_CATALOG_HOST: '0.0.0.0', ASTHA_CATALOG_PORT: '9000', ASTHA_CATALOG_TOKEN: 't' })
        .catalog,
    ).toEqual({ host: '0.0.0.0', port: 9000, token: 't' });
    expect(loadConfig({ ASTHA_CATALOG_PORT: '0' }).catalog.port).toBe(0);
    expect(() => loadConfig({ ASTHA_CATALOG_PORT: 'http' })).toThrow(/ASTHA_CATALOG_PORT/);
    expect(() => loadConfig({ ASTHA_CATALOG_PORT: '70000' })).toThrow(/ASTHA_CATALOG_PORT/);
  });

  it('switches S3 to path style and a region when an endpoint is set', () => {
    const config = loadConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });
    expect(config.aws).toEqual({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:4566',
      forcePathStyle: true,
    });
  });

  it('reads component queues from JSON and rejects malformed values with the variable name', () => {
    expect(
      loadConfig({ ASTHA_COMPONENT_QUEUES: '{"iceberg_updater":"memory://u"}' }).componentQueues,
    ).toEqual({
      iceberg_updater: 'memory://u',
    });
    expect(
      loadConfig({ ASTHA_COMPONENT_DLQS: '{"compactor":"memory://d"}' }).componentDeadLetterQueues,
    ).toEqual({
      compactor: 'memory://d',
    });
    expect(() => loadConfig({ ASTHA_COMPONENT_QUEUES: '[1]' })).toThrow(/ASTHA_COMPONENT_QUEUES/);
    expect(() => loadConfig({ ASTHA_COMPONENT_QUEUES: '{' })).toThrow(ConfigError);
    expect(() => loadConfig({ ASTHA_DRAIN_BATCH_SIZE: '0' })).toThrow(/ASTHA_DRAIN_BATCH_SIZE/);
  });

  it('knows it runs in a function, and its timeout, only from the Lambda variables', () => {
    expect(loadConfig({}).function).toBeUndefined();
    expect(
      loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'astha-snapshotter', ASTHA_FUNCTION_TIMEOUT_SECONDS: '120' })
        .function,
    ).toEqual({ name: 'astha-snapshotter', timeoutMs: 120_000 });
    expect(() =>
      loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'f', ASTHA_FUNCTION_TIMEOUT_SECONDS: 'soon' }),
    ).toThrow(/ASTHA_FUNCTION_TIMEOUT_SECONDS/);
  });

  it('verifies data pages at registration unless ASTHA_VERIFY_DATA is off', () => {
    expect(loadConfig({}).registration.verifyData).toBe(true);
    expect(loadConfig({ ASTHA_VERIFY_DATA: 'off' }).registration.verifyData).toBe(false);
    expect(loadConfig({ ASTHA_VERIFY_DATA: 'false' }).registration.verifyData).toBe(false);
    expect(loadConfig({ ASTHA_VERIFY_DATA: '1' }).registration.verifyData).toBe(true);
    expect(() => loadConfig({ ASTHA_VERIFY_DATA: 'maybe' })).toThrow(/ASTHA_VERIFY_DATA must be on or off/);
  });

  it('does not default the registry URL when it comes from a secret', () => {
    const config = loadConfig({ ASTHA_LIBSQL_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:x' });
    expect(config.registry.url).toBe('');
    expect(config.registry.secretArn).toContain('secret:x');
  });
});
