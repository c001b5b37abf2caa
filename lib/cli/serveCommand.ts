/**
 * `astha serve`: only the Iceberg REST catalog, over the configured registry and warehouse, so
 * engines find astha's tables by name while another process (or the deployed stack) writes them.
 */
import type { CatalogServerConfig } from '../config.js';
import { serveCatalog } from '../restCatalog/serveCatalog.js';
import type { CliContext } from './context.js';
import { catalogSnippets } from './querySnippets.js';

export async function serveCommand(
  ctx: CliContext,
  settings: Readonly<CatalogServerConfig>,
): Promise<number> {
  const deps = await ctx.deps();
  const server = await serveCatalog(deps, settings);
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
    await interrupted();
    return 0;
  } finally {
    await server.close();
  }
}

/** Resolves on the first SIGINT or SIGTERM (Ctrl-C), then stops listening for them. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
