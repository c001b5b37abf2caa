import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config.js';

describe('loadConfig: Glue (catalog_sync)', () => {
  it('is off by default', () => {
    expect(loadConfig({}).glue).toBeUndefined();
  });

  it('is switched on by a database prefix, with an optional endpoint and catalog id', () => {
    expect(loadConfig({ ASTHA_GLUE_DATABASE_PREFIX: 'astha_' }).glue).toEqual({ databasePrefix: 'astha_' });
    const config = loadConfig({
      ASTHA_GLUE_DATABASE_PREFIX: 'lake_',
      ASTHA_GLUE_ENDPOINT: 'http://127.0.0.1:5000',
      ASTHA_GLUE_CATALOG_ID: '123456789012',
    });
    expect(config.glue).toEqual({
      databasePrefix: 'lake_',
      endpoint: 'http://127.0.0.1:5000',
      catalogId: '123456789012',
    });
    expect(Object.isFrozen(config.glue)).toBe(true);
  });

  it('rejects prefixes Glue would not keep as written, bad account ids, and settings without the switch', () => {
    for (const prefix of ['Astha_', '1astha', 'as-tha', 'a'.repeat(65)]) {
      expect(() => loadConfig({ ASTHA_GLUE_DATABASE_PREFIX: prefix })).toThrow(/ASTHA_GLUE_DATABASE_PREFIX/);
    }
    expect(() => loadConfig({ ASTHA_GLUE_DATABASE_PREFIX: 'a_', ASTHA_GLUE_CATALOG_ID: '12345' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ ASTHA_GLUE_ENDPOINT: 'http://127.0.0.1:5000' })).toThrow(
      /need ASTHA_GLUE_DATABASE_PREFIX/,
    );
  });
});
