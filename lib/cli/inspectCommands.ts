/**
 * Read-only commands: `status`, `tables`, `show <namespace.table>`.
 */
import { status as drainStatus } from '../astha/runFor.js';
import {
  listRejections,
  listTables,
  snapshotsWithOverwrittenKeys,
  tableSnapshots,
} from '../registry/catalogReads.js';
import type { CliContext } from './context.js';
import { UsageError } from './context.js';
import { catalogUriFor } from '../restCatalog/serveCatalog.js';
import {
  catalogSnippets,
  duckdbCatalogSnippet,
  duckdbSnippet,
  pyicebergCatalogSnippet,
  pyicebergSnippet,
} from './querySnippets.js';

export async function statusCommand(ctx: CliContext): Promise<void> {
  const { registry } = await ctx.deps();
  const [summary, drain, tables, rejections] = await Promise.all([
    registry.status(),
    drainStatus({ registry: registry.client }),
    listTables(registry.client),
    listRejections(registry.client, { limit: 5 }),
  ]);
  const breakers = Object.fromEntries(Object.entries(drain.breakers).map(([c, b]) => [c, b.state]));
  const result = {
    tables: summary.tables,
    files: summary.filesByState,
    rejectedObjects: summary.rejectedObjects,
    compaction: summary.compaction,
    tablesWithSnapshot: tables.reduce((n, t) => n + (t.current_snapshot_id ? 1 : 0), 0),
    cdc: {
      backlog: drain.backlog.count,
      oldestAgeSeconds: drain.backlog.oldestAgeSeconds,
      deadRows: drain.deadRows,
    },
    breakers,
    lease: drain.lease,
    recentRejections: rejections.map((r) => ({ table: r.table, key: r.key, reason: r.reason, at: r.at })),
  };
  if (ctx.out.json) return ctx.out.data(result);
  const files = Object.entries(summary.filesByState)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ');
  ctx.out.line(`tables      ${summary.tables} (${result.tablesWithSnapshot} with a committed snapshot)`);
  ctx.out.line(`files       ${files}`);
  ctx.out.line(
    `rejected    ${summary.filesByState.rejected} files in tables, ${summary.rejectedObjects} objects outside any table`,
  );
  const { outputs, replacedFiles, retractionsPending } = summary.compaction;
  ctx.out.line(
    `compaction  ${outputs} compacted files hold the rows of ${replacedFiles} replaced files` +
      (retractionsPending > 0 ? `; ${retractionsPending} deleted files' rows still to take out` : ''),
  );
  ctx.out.line(
    `cdc log     ${drain.backlog.count} waiting (oldest ${drain.backlog.oldestAgeSeconds.toFixed(1)} s), ${drain.deadRows} dead`,
  );
  ctx.out.line(
    `breakers    ${Object.entries(breakers)
      .map(([c, s]) => `${c} ${s}`)
      .join(', ')}`,
  );
  for (const r of result.recentRejections)
    ctx.out.line(`  ${r.table ?? '(no table)'}  ${r.key}: ${r.reason}`);
  if (result.recentRejections.length > 0) ctx.out.line('  (all of them: astha rejections)');
}

export async function tablesCommand(ctx: CliContext): Promise<void> {
  const { registry } = await ctx.deps();
  const tables = await listTables(registry.client);
  const rows = tables.map((t) => ({
    table: `${t.namespace}.${t.name}`,
    state: t.state,
    rows: t.committed_rows,
    files: t.committed_files,
    pending: t.pending_files,
    pendingRows: t.pending_rows,
    rejected: t.rejected_files,
    version: t.metadata_version,
    snapshot: t.current_snapshot_id,
  }));
  if (ctx.out.json) return ctx.out.data(rows);
  if (rows.length === 0)
    return ctx.out.line('no tables yet: put Parquet files under <warehouse>/<namespace>/<table>/data/');
  ctx.out.table(
    rows.map((r) => ({ ...r, 'pending rows': r.pendingRows })),
    ['table', 'state', 'rows', 'files', 'pending', 'pending rows', 'rejected', 'version', 'snapshot'],
  );
}

export async function showCommand(ctx: CliContext, name: string | undefined): Promise<void> {
  const match = /^([^.]+)\.([^.]+)$/.exec(name ?? '');
  if (!match) throw new UsageError('usage: astha show <namespace>.<table>');
  const deps = await ctx.deps();
  const table = await deps.registry.tableByName(match[1]!, match[2]!);
  if (!table) throw new UsageError(`no table ${name}; see \`astha tables\``);
  const metadata = await deps.registry.tableMetadata(table.id);
  const snapshots = await tableSnapshots(deps.registry.client, table.id, 20);
  const [counts] = await listTables(deps.registry.client, table.id);
  const rejections = await listRejections(deps.registry.client, { limit: 20, tableId: table.id });
  const overwritten = await snapshotsWithOverwrittenKeys(
    deps.registry.client,
    table.id,
    snapshots.map((s) => s.snapshot_id),
  );
  const schema = metadata
    ? (JSON.parse(metadata.schema_json) as { fields: { id: number; name: string; type: unknown }[] })
    : undefined;
  const spec = metadata
    ? (JSON.parse(metadata.partition_spec_json) as { fields?: { name: string; transform: string }[] })
    : undefined;
  const endpoint = ctx.config.aws.endpoint;
  const target = table.metadata_location
    ? {
        metadataLocation: table.metadata_location,
        ...(endpoint ? { s3Endpoint: endpoint } : {}),
        ...(ctx.config.aws.region ? { region: ctx.config.aws.region } : {}),
      }
    : undefined;
  // The catalog way first (`astha serve` / `astha start` serve it); the metadata path as fallback.
  const through = {
    uri: catalogUriFor(ctx.config.catalog),
    warehouseUrl: deps.warehouse.url,
    aws: ctx.config.aws,
    table: { namespace: match[1]!, name: match[2]! },
    tokenRequired: ctx.config.catalog.token !== undefined,
  };
  const result = {
    table: `${match[1]}.${match[2]}`,
    location: table.location,
    state: table.state,
    rows: counts?.committed_rows ?? 0,
    files: counts?.committed_files ?? 0,
    pendingFiles: counts?.pending_files ?? 0,
    pendingRows: counts?.pending_rows ?? 0,
    rejectedFiles: counts?.rejected_files ?? 0,
    rejections: rejections.map((r) => ({ key: r.key, reason: r.reason, at: r.at })),
    metadataLocation: table.metadata_location,
    version: table.metadata_version,
    currentSnapshotId: table.current_snapshot_id,
    schema: schema?.fields.map((f) => ({ id: f.id, name: f.name, type: f.type })) ?? [],
    partitionFields: spec?.fields?.map((f) => ({ name: f.name, transform: f.transform })) ?? [],
    snapshots: snapshots.map((s) => ({
      snapshotId: s.snapshot_id,
      sequenceNumber: s.sequence_number,
      operation: s.operation,
      committedAt: s.committed_at,
      summary: JSON.parse(s.summary_json) as Record<string, string>,
      /** Keys this snapshot lists that were overwritten since: time travel reads their current bytes. */
      overwrittenKeys: overwritten.get(s.snapshot_id) ?? 0,
    })),
    query: target
      ? {
          catalog: {
            uri: through.uri,
            duckdb: duckdbCatalogSnippet(through),
            pyiceberg: pyicebergCatalogSnippet(through),
          },
          duckdb: duckdbSnippet(target),
          pyiceberg: pyicebergSnippet(target),
        }
      : undefined,
  };
  if (ctx.out.json) return ctx.out.data(result);
  ctx.out.line(
    `${result.table}  (${table.state}) ${result.rows} rows in ${result.files} committed files; ` +
      `${result.pendingFiles} files (${result.pendingRows} rows) pending, ${result.rejectedFiles} rejected`,
  );
  ctx.out.line(`location   ${table.location}`);
  ctx.out.line(`metadata   ${table.metadata_location ?? 'not committed yet'}`);
  ctx.out.line('');
  ctx.out.table(
    result.schema.map((f) => ({
      id: f.id,
      column: f.name,
      type: typeof f.type === 'string' ? f.type : JSON.stringify(f.type),
    })),
    ['id', 'column', 'type'],
  );
  if (result.partitionFields.length > 0) {
    ctx.out.line(
      `partitioned by ${result.partitionFields.map((f) => `${f.name} (${f.transform})`).join(', ')}`,
    );
  }
  if (result.snapshots.length > 0) {
    ctx.out.line('');
    ctx.out.table(
      result.snapshots.map((s) => ({
        snapshot: s.snapshotId,
        seq: s.sequenceNumber,
        operation: s.operation,
        'added files': s.summary['added-data-files'] ?? '',
        'total rows': s.summary['total-records'] ?? '',
        committed: s.committedAt,
      })),
      ['snapshot', 'seq', 'operation', 'added files', 'total rows', 'committed'],
    );
    for (const s of result.snapshots.filter((x) => x.overwrittenKeys > 0)) {
      ctx.out.line(
        `snapshot ${s.snapshotId} lists ${s.overwrittenKeys} key(s) overwritten since: time travel to it reads ` +
          "those keys' current bytes (other rows, or an error), not what it was committed with",
      );
    }
  }
  if (result.rejections.length > 0) {
    ctx.out.line('\nrejected files (newest first; all of them: astha rejections <table>):');
    for (const r of result.rejections) ctx.out.line(`  ${r.key}: ${r.reason}`);
  }
  if (result.query) {
    ctx.out.line(
      `\nThrough the Iceberg REST catalog (\`astha serve\` or \`astha start\` serve it at ${through.uri}):`,
    );
    ctx.out.line(catalogSnippets(through));
    ctx.out.line('\nBy metadata path (fallback), DuckDB:');
    ctx.out.line(result.query.duckdb);
    ctx.out.line('\nby metadata path, PyIceberg:');
    ctx.out.line(result.query.pyiceberg);
  }
}
