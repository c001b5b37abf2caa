/**
 * `astha serve`: only the Iceberg REST catalog, over the configured registry and warehouse, so
 * engines find astha's tables by name while another process (or the deployed stack) writes them.
 */
import type { CatalogServerConfig } from '../config.js';
import { serveCatalog } from '../restCatalog/serveCatalog.js';
import type { CliContext } from './context.js';
import { catalogSnippets } from './querySnippets.js';
import { stopSignal } from './stopSignal.js';

export async function serveCommand(
  ctx: CliContext,
  settings: Readonly<CatalogServerConfig>,
): Promise<number> {
  const stop = stopSignal(ctx);
  const deps = await ctx.deps();
  const server = await serveCatalog(deps, settings).catch((error: unknown) => {
    stop.dispose();
    throw error;
  });
  if (ctx.out.json) ctx.out.data({ catalog: server.uri });
  else {
    ctx.out.line(`astha catalog serving the Iceberg REST catalog at ${server.uri}`);
    ctx.out.line(`  warehouse  ${deps.warehouse.url}`);
    const tokenRequired = settings.token !== undefined;
    ctx.out.line(
      catalogSnippets({
        uri: server.uri,
        warehouseUrl: deps.warehouse.url,
        aws: ctx.config.aws,
        tokenRequired,
      }),
    );
    ctx.out.line('Ctrl-C to stop');
  }
  try {
    await stop.stopped;
    return 0;
  } finally {
    stop.dispose();
    await server.close();
  }
}
