/**
 * `astha start`: the local runtime. On the embedded default with an empty warehouse it first
 * writes a small partitioned sample table, waits until it is committed, prints how to query
 * it, then keeps watching for new files until interrupted.
 */
import { fileURLToPath } from 'node:url';
import { redactSecrets } from '../redact.js';
import { listTables } from '../registry/catalogReads.js';
import type { Registry } from '../registry/registry.js';
import type { LocalRuntime } from '../runtime/localRuntime.js';
import { buildRuntime } from '../runtime/runtimeFromConfig.js';
import type { CliContext } from './context.js';
import { duckdbSnippet, pyicebergSnippet } from './querySnippets.js';
import { isEmptyWarehouse, SAMPLE_TABLE, writeSampleData } from './sampleData.js';

export interface StartOptions {
  sample: boolean;
  /** Exit once idle (warehouse scanned, queues drained, every file committed or rejected) instead of watching forever. */
  untilIdle: boolean;
  timeoutSeconds: number;
}

export async function startCommand(ctx: CliContext, options: StartOptions): Promise<number> {
  const built = await buildRuntime(ctx.config, ctx.logger);
  const { deps, runtime } = built;
  const where = deps.warehouse.url.startsWith('file:')
    ? fileURLToPath(deps.warehouse.url)
    : deps.warehouse.url;
  let sampleWritten = false;
  if (options.sample && built.mode === 'embedded' && (await isEmptyWarehouse(deps.store))) {
    await writeSampleData(deps.store);
    sampleWritten = true;
  }
  runtime.start(built.known);
  if (!ctx.out.json) {
    ctx.out.line(`astha running (${built.mode === 'embedded' ? 'embedded default' : 'SQS queues'})`);
    ctx.out.line(`  warehouse  ${where}`);
    ctx.out.line(`  registry   ${redactSecrets(ctx.config.registry.url) || '(from secret)'}`);
    if (sampleWritten)
      ctx.out.line(
        `  wrote a sample table ${SAMPLE_TABLE.namespace}.${SAMPLE_TABLE.table} (3 Parquet files, partitioned by day)`,
      );
    ctx.out.line(
      `  put Parquet files under ${where}/<namespace>/<table>/data/ and they become Iceberg tables`,
    );
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const idle = await waitUntilIdle(runtime, built.observer, stop.signal, options.timeoutSeconds * 1000);
    await announceTables(ctx, built.observer);
    if (options.untilIdle) return idle ? 0 : 1;
    // A signal during the wait for idle has already fired: its abort event will not come again.
    if (stop.signal.aborted) return 0;
    if (!ctx.out.json) ctx.out.line('watching for new files; Ctrl-C to stop');
    await new Promise<void>((resolve) =>
      stop.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await runtime.stop();
    deps.close();
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

async function announceTables(ctx: CliContext, registry: Registry): Promise<void> {
  const tables = (await listTables(registry.client)).filter((t) => t.metadata_location);
  if (ctx.out.json) {
    ctx.out.data(
      tables.map((t) => ({
        table: `${t.namespace}.${t.name}`,
        rows: t.row_count,
        files: t.committed_files,
        metadataLocation: t.metadata_location,
      })),
    );
    return;
  }
  for (const t of tables) {
    ctx.out.line(
      `\ncommitted ${t.namespace}.${t.name}: ${t.row_count} rows in ${t.committed_files} files, ${t.metadata_location}`,
    );
    const target = {
      metadataLocation: t.metadata_location!,
      ...(ctx.config.aws.endpoint ? { s3Endpoint: ctx.config.aws.endpoint } : {}),
    };
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
