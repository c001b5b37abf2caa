/**
 * `astha start`: the local runtime. On the embedded default with an empty warehouse it first
 * writes a small partitioned sample table, waits until it is committed and prints how to query
 * it; on a restart it prints a short summary instead. Then it keeps watching, one line per
 * commit and per rejected file, until Ctrl-C, SIGTERM, or the process that started it going
 * away (`npx` killed by SIGTERM leaves its child running otherwise).
 */
import { fileURLToPath } from 'node:url';
import type { CatalogServerConfig } from '../config.js';
import { redactSecrets } from '../redact.js';
import { listTables } from '../registry/catalogReads.js';
import type { Registry } from '../registry/registry.js';
import type { CatalogServer } from '../restCatalog/catalogServer.js';
import { serveCatalog } from '../restCatalog/serveCatalog.js';
import type { Dependencies } from '../runtime/dependencies.js';
import type { LocalRuntime } from '../runtime/localRuntime.js';
import { buildRuntime } from '../runtime/runtimeFromConfig.js';
import { CommitFeed, describeEvent, type FeedEvent } from './commitFeed.js';
import type { CliContext } from './context.js';
import { catalogSnippets, duckdbSnippet, pyicebergSnippet } from './querySnippets.js';
import { isEmptyWarehouse, SAMPLE_TABLE, writeSampleData } from './sampleData.js';
import { stopSignal } from './stopSignal.js';

export interface StartOptions {
  sample: boolean;
  /** Exit once every registered file is committed (or rejected) instead of watching forever. */
  untilIdle: boolean;
  timeoutSeconds: number;
  /** Where to serve the REST catalog; undefined for none. */
  catalog?: Readonly<CatalogServerConfig>;
}

export async function startCommand(ctx: CliContext, options: StartOptions): Promise<number> {
  const stop = stopSignal(ctx);
  const built = await buildRuntime(ctx.config, ctx.logger);
  const { deps, runtime } = built;
  const feed = new CommitFeed(built.observer.client, (event) => report(ctx, event), ctx.logger);
  let catalog: CatalogServer | undefined;
  try {
    let sampleWritten = false;
    if (options.sample && built.mode === 'embedded' && (await isEmptyWarehouse(deps.store))) {
      await writeSampleData(deps.store);
      sampleWritten = true;
    }
    await feed.prime();
    catalog = options.catalog ? await catalogOrWarning(ctx, deps, options.catalog) : undefined;
    runtime.start(built.known);
    if (!options.untilIdle) feed.start();
    announceStart(ctx, built.mode, deps.warehouse.url, sampleWritten);
    if (catalog && !ctx.out.json) ctx.out.line(`  catalog    ${catalog.uri} (Iceberg REST catalog)`);
    if (options.untilIdle || sampleWritten) {
      const idle = await waitUntilIdle(runtime, built.observer, stop.signal, options.timeoutSeconds * 1000);
      if (stop.signal.aborted) return 0;
      const through = catalog ? { uri: catalog.uri, warehouseUrl: deps.warehouse.url } : undefined;
      await announceTables(ctx, built.observer, options.untilIdle ? undefined : SAMPLE_TABLE, through);
      if (options.untilIdle) return idle ? 0 : 1;
    } else {
      await summarize(ctx, built.observer);
    }
    if (!ctx.out.json) ctx.out.line('watching for new files; Ctrl-C to stop');
    await stop.stopped;
    return 0;
  } finally {
    stop.dispose();
    await catalog?.close();
    await feed.stop();
    await runtime.stop();
    deps.close();
  }
}

function report(ctx: CliContext, event: FeedEvent): void {
  if (ctx.out.json) ctx.out.jsonLine(event);
  else ctx.out.line(`${new Date().toTimeString().slice(0, 8)} ${describeEvent(event)}`);
}

function announceStart(ctx: CliContext, mode: string, warehouseUrl: string, sampleWritten: boolean): void {
  if (ctx.out.json) return;
  const where = warehouseUrl.startsWith('file:') ? fileURLToPath(warehouseUrl) : warehouseUrl;
  ctx.out.line(`astha running (${mode === 'embedded' ? 'embedded default' : 'SQS queues'})`);
  ctx.out.line(`  warehouse  ${where}`);
  ctx.out.line(`  registry   ${redactSecrets(ctx.config.registry.url) || '(from secret)'}`);
  if (sampleWritten)
    ctx.out.line(
      `  wrote a sample table ${SAMPLE_TABLE.namespace}.${SAMPLE_TABLE.table} (3 Parquet files, partitioned by day)`,
    );
  ctx.out.line(`  put Parquet files under ${where}/<namespace>/<table>/data/ and they become Iceberg tables`);
}

/**
 * The REST catalog beside the runtime. A port already taken (another astha, another catalog)
 * costs only the catalog, with a warning saying how to pick another; other failures stop start.
 */
async function catalogOrWarning(
  ctx: CliContext,
  deps: Dependencies,
  settings: Readonly<CatalogServerConfig>,
): Promise<CatalogServer | undefined> {
  try {
    return await serveCatalog(deps, settings);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    ctx.out.note(
      `the REST catalog is not served: ${settings.host}:${settings.port} is in use (--port <n> picks another)`,
    );
    return undefined;
  }
}

/**
 * Waits until the runtime is idle, or until the timeout: the warehouse scanned (files added or
 * deleted while astha was stopped are announced), every queue drained, the change log empty,
 * and no file pending or committing.
 */
export async function waitUntilIdle(
  runtime: Pick<LocalRuntime, 'isQuiet'>,
  registry: Registry,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!signal.aborted && Date.now() < deadline) {
    // The queues first: a handler's registry writes land before its message leaves the queue.
    if (await runtime.isQuiet()) {
      const status = await registry.status();
      const files = status.filesByState;
      if (files.pending + files.committing === 0 && status.cdc.backlog === 0) return true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/** A restart: what the registry holds, in a few lines (`astha show` has the query snippets). */
async function summarize(ctx: CliContext, registry: Registry): Promise<void> {
  const tables = await listTables(registry.client);
  const rows = tables.reduce((sum, t) => sum + Number(t.committed_rows), 0);
  const pending = tables.reduce((sum, t) => sum + Number(t.pending_files), 0);
  const rejected = tables.reduce((sum, t) => sum + Number(t.rejected_files), 0);
  if (ctx.out.json) {
    ctx.out.jsonLine({
      event: 'summary',
      tables: tables.length,
      rows,
      pendingFiles: pending,
      rejectedFiles: rejected,
    });
    return;
  }
  if (tables.length === 0) return;
  const names = tables.map((t) => `${t.namespace}.${t.name}`);
  const listed = names.length > 5 ? `${names.slice(0, 5).join(', ')}, ...` : names.join(', ');
  ctx.out.line(
    `\n${tables.length} table${tables.length === 1 ? '' : 's'} (${listed}): ${rows} rows committed, ` +
      `${pending} files pending, ${rejected} rejected`,
  );
  ctx.out.line('  astha tables lists them; astha show <namespace.table> prints how to query one');
}

/** Each committed table (or only `only`) with its metadata location and how to query it. */
async function announceTables(
  ctx: CliContext,
  registry: Registry,
  only?: { namespace: string; table: string },
  catalog?: { uri: string; warehouseUrl: string },
): Promise<void> {
  const tables = (await listTables(registry.client)).filter(
    (t) => t.metadata_location && (!only || (t.namespace === only.namespace && t.name === only.table)),
  );
  if (ctx.out.json) {
    const listed = tables.map((t) => ({
      table: `${t.namespace}.${t.name}`,
      rows: t.committed_rows,
      files: t.committed_files,
      metadataLocation: t.metadata_location,
    }));
    // --until-idle answers once (one JSON document); a running start prints JSON lines.
    if (only) ctx.out.jsonLine({ event: 'sample', tables: listed });
    else ctx.out.data(listed);
    return;
  }
  for (const t of tables) {
    ctx.out.line(
      `\ncommitted ${t.namespace}.${t.name}: ${t.committed_rows} rows in ${t.committed_files} files, ${t.metadata_location}`,
    );
    const target = {
      metadataLocation: t.metadata_location!,
      ...(ctx.config.aws.endpoint ? { s3Endpoint: ctx.config.aws.endpoint } : {}),
    };
    if (catalog) {
      // The catalog way first; the metadata path as the fallback.
      const table = { namespace: t.namespace, name: t.name };
      const tokenRequired = ctx.config.catalog.token !== undefined;
      ctx.out.line(indent(catalogSnippets({ ...catalog, aws: ctx.config.aws, table, tokenRequired })));
      ctx.out.line('  or by metadata path (fallback), DuckDB:');
      ctx.out.line(indent(duckdbSnippet(target)));
      continue;
    }
    ctx.out.line('query it with DuckDB:');
    ctx.out.line(indent(duckdbSnippet(target)));
    ctx.out.line('or PyIceberg:');
    ctx.out.line(indent(pyicebergSnippet(target)));
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
