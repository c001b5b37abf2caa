/**
 * What a Lambda handler test needs around it: a fresh `file:` registry and warehouse directory,
 * the environment the handler reads them from (quiet logs), and handler modules loaded anew
 * per test (`vi.resetModules`, so each cold start builds its dependencies again). Registers
 * its own beforeEach/afterEach; the environment is restored after each test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, vi } from 'vitest';
import { openRegistry, type Registry } from '../../lib/registry/registry.js';
import type { ObjectStore } from '../../lib/store/objectStore.js';
import { openStore } from '../../lib/store/openStore.js';

export interface HandlerEnvironment {
  /** The test's own connection to the registry the handler uses. */
  readonly registry: Registry;
  /** The warehouse the handler uses. */
  readonly store: ObjectStore;
}

export function handlerEnvironment(tempPrefix: string): HandlerEnvironment {
  let dir: string;
  let registry: Registry | undefined;
  let store: ObjectStore | undefined;
  const saved = { ...process.env };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), tempPrefix));
    const registryUrl = `file:${join(dir, 'registry.db')}`;
    const warehouse = pathToFileURL(join(dir, 'warehouse')).href;
    registry = await openRegistry(registryUrl);
    store = openStore(warehouse);
    process.env.ASTHA_REGISTRY_URL = registryUrl;
    process.env.ASTHA_WAREHOUSE = warehouse;
    process.env.ASTHA_LOG_LEVEL = 'silent';
    vi.resetModules();
  });
  afterEach(() => {
    registry?.close();
    rmSync(dir, { recursive: true, force: true });
    process.env = { ...saved };
  });
  return {
    get registry() {
      if (!registry) throw new Error('handlerEnvironment: used outside a test');
      return registry;
    },
    get store() {
      if (!store) throw new Error('handlerEnvironment: used outside a test');
      return store;
    },
  };
}
