/**
 * Starts the REST catalog server over opened dependencies (the registry and warehouse store of
 * the configuration), for `astha serve` and `astha start`.
 */
import type { CatalogServerConfig } from '../config.js';
import type { Dependencies } from '../runtime/dependencies.js';
import { type CatalogServer, startCatalogServer } from './catalogServer.js';
import { createRestCatalog } from './restCatalog.js';

export function serveCatalog(
  deps: Dependencies,
  settings: Readonly<CatalogServerConfig>,
): Promise<CatalogServer> {
  const catalog = createRestCatalog({
    client: deps.registry.client,
    store: deps.store,
    aws: deps.config.aws,
    logger: deps.logger,
  });
  return startCatalogServer({
    host: settings.host,
    port: settings.port,
    ...(settings.token ? { token: settings.token } : {}),
    catalog,
    logger: deps.logger,
  });
}

/** The URI the catalog has when served with these settings (for snippets printed elsewhere). */
export function catalogUriFor(settings: Readonly<CatalogServerConfig>): string {
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return `http://${host}:${settings.port}`;
}
