/**
 * Table maintenance from the command line, now rather than when the components get to it:
 *
 * - `astha compact <namespace.table> [--dry-run]`: one compaction look (`compactTable`): the
 *   small files of each partition rewritten into target-size files in `replace` snapshots, and
 *   many small manifests merged; `--dry-run` prints the plan from the same policy and files.
 * - `astha maintain <namespace.table> [--dry-run]`: snapshot expiration then cleanup of what no
 *   remaining snapshot reaches (the snapshotter's `maintain`); `--dry-run` deletes nothing.
 *
 * Both are safe next to a running runtime or stack: every commit goes through the
 * conditional-write protocol and compaction validates that its inputs are still live.
 */
import { type CompactionReport, compactTable, type GroupOutcome } from '../compactor/compactTable.js';
import { type CompactionPlan, compactionPlan, formatBytes } from '../compactor/compactionPlan.js';
import type { RewriteGroup } from '../compactor/planCompaction.js';
import type { TableRow } from '../registry/rows.js';
import type { Orphan, OrphanKind } from '../snapshotter/cleanupOrphans.js';
import { createSnapshotter, type MaintenanceReport } from '../snapshotter/snapshotter.js';
import type { CliContext } from './context.js';
import { UsageError } from './context.js';

export interface MaintenanceOptions {
  dryRun: boolean;
}

export async function compactCommand(
  ctx: CliContext,
  name: string | undefined,
  options: MaintenanceOptions,
): Promise<number> {
  const { table, deps } = await resolveTable(ctx, name, 'compact');
  if (options.dryRun) {
    const plan = await compactionPlan(table.id, deps);
    if (ctx.out.json) ctx.out.data({ table: name, dryRun: true, ...planJson(plan) });
    else printPlan(ctx, name!, plan);
    return 0;
  }
  let rowGroups = 0;
  const report = await compactTable(table.id, {
    ...deps,
    // A command run has no Lambda timeout to stay inside: every planned group in one snapshot.
    maxGroupsPerRun: Number.POSITIVE_INFINITY,
    lookBudgetMs: Number.POSITIVE_INFINITY,
    onRowGroup: () => {
      rowGroups++;
      ctx.out.progress(`${name}: rewriting, ${rowGroups.toLocaleString('en-US')} row groups read`);
    },
  });
  ctx.out.done();
  // Nothing rewritten: explain why from the same policy and files the look used.
  const idle = report.groups.length === 0 && report.skipped === undefined;
  const reason = idle ? (await compactionPlan(table.id, deps)).reason : undefined;
  if (ctx.out.json) {
    ctx.out.data({ table: name, dryRun: false, ...report, ...(reason ? { reason } : {}) });
    return 0;
  }
  printReport(ctx, name!, report, reason);
  // A refused group is reported, not failed: the table stays as it was and readable.
  return 0;
}

export async function maintainCommand(
  ctx: CliContext,
  name: string | undefined,
  options: MaintenanceOptions,
): Promise<number> {
  const { table, deps } = await resolveTable(ctx, name, 'maintain');
  const snapshotter = createSnapshotter({ ...deps, logger: ctx.logger });
  const report = await snapshotter.maintain(table.id, { dryRun: options.dryRun });
  const deleted = byKind(report.cleanup?.orphans ?? []);
  if (ctx.out.json) {
    ctx.out.data({ table: name, ...report, deletedByKind: deleted });
    return 0;
  }
  ctx.out.line(`${name}: ${maintenanceLine(report, deleted, options.dryRun)}`);
  return 0;
}

async function resolveTable(ctx: CliContext, name: string | undefined, command: string) {
  const match = /^([^.]+)\.([^.]+)$/.exec(name ?? '');
  if (!match) throw new UsageError(`usage: astha ${command} <namespace>.<table> [--dry-run] [--json]`);
  const { registry, store } = await ctx.deps();
  const table: TableRow | undefined = await registry.tableByName(match[1]!, match[2]!);
  if (!table) throw new UsageError(`no table ${name}; see \`astha tables\``);
  return { table, deps: { registry, store } };
}

function planJson(plan: CompactionPlan) {
  return {
    ...plan,
    groups: plan.groups.map((g) => ({
      partitionPath: g.partitionPath,
      inputFiles: g.files.length,
      bytes: g.bytes,
      rows: g.rows,
      files: g.files.map((f) => f.path),
    })),
  };
}

function partitionLabel(partitionPath: string): string {
  return partitionPath === '' ? '(unpartitioned)' : partitionPath;
}

function printPlan(ctx: CliContext, name: string, plan: CompactionPlan): void {
  for (const r of plan.retractions) {
    ctx.out.line(
      `${name}: would rewrite ${r.path} without ${r.rowsRemoved} rows of files deleted since it was compacted`,
    );
  }
  if (plan.groups.length === 0)
    ctx.out.line(`${name}: nothing to compact: ${plan.reason ?? 'no group planned'}`);
  for (const group of plan.groups) ctx.out.line(`${name}: would compact ${groupPlanLine(group)}`);
  if (plan.groups.length > 0) {
    const files = plan.groups.reduce((n, g) => n + g.files.length, 0);
    ctx.out.line(`${name}: ${plan.groups.length} group(s), ${files} of ${plan.liveFiles} live files`);
  }
  if (plan.manifests) {
    const { small, total, rewriteAt } = plan.manifests;
    const verdict = small >= rewriteAt ? 'would be merged' : `merged from ${rewriteAt} on`;
    ctx.out.line(`${name}: manifests: ${small} of ${total} small, ${verdict}`);
  }
  ctx.out.line(`${name}: dry run, nothing written`);
}

function groupPlanLine(group: RewriteGroup): string {
  const rows = group.rows.toLocaleString('en-US');
  return `${partitionLabel(group.partitionPath)}: ${group.files.length} files, ${formatBytes(group.bytes)}, ${rows} rows`;
}

function printReport(
  ctx: CliContext,
  name: string,
  report: CompactionReport,
  reason: string | undefined,
): void {
  if (report.recovered.length > 0)
    ctx.out.line(`${name}: finished recording ${report.recovered.length} interrupted compaction(s)`);
  if (report.skipped) ctx.out.line(`${name}: skipped: ${report.skipped}`);
  for (const group of report.groups) ctx.out.line(`${name}: ${groupOutcomeLine(group)}`);
  if (report.groups.length === 0 && !report.skipped)
    ctx.out.line(`${name}: nothing to compact: ${reason ?? 'no group planned'}`);
  if (report.manifests) {
    const { replaced, created, snapshotId } = report.manifests;
    ctx.out.line(`${name}: manifests rewritten, ${replaced} -> ${created} in snapshot ${snapshotId}`);
  }
}

function groupOutcomeLine(group: GroupOutcome): string {
  const sizes = `${formatBytes(group.bytesRead)} read, ${formatBytes(group.bytesWritten)} written`;
  const files = `${group.inputFiles} files -> ${group.outputFiles}`;
  const result = group.snapshotId
    ? `snapshot ${group.snapshotId}`
    : `refused (${group.refused ?? 'unknown'})${group.reason ? `: ${group.reason}` : ''}`;
  // A retraction: one output rewritten without the rows of files deleted since it was compacted.
  const retracted = group.rowsRetracted ? `, ${group.rowsRetracted} deleted rows taken out` : '';
  return `${partitionLabel(group.partitionPath)}: ${files}${retracted}, ${sizes}, ${result}`;
}

type DeletedByKind = Partial<Record<OrphanKind, { count: number; bytes: number }>>;

function byKind(orphans: readonly Orphan[]): DeletedByKind {
  const kinds: DeletedByKind = {};
  for (const orphan of orphans) {
    const entry = kinds[orphan.kind] ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += orphan.size;
    kinds[orphan.kind] = entry;
  }
  return kinds;
}

function maintenanceLine(report: MaintenanceReport, deleted: DeletedByKind, dryRun: boolean): string {
  if (report.version === undefined) return 'nothing committed yet, nothing to maintain';
  const refs = report.removedRefs.length > 0 ? ` and ref(s) ${report.removedRefs.join(', ')}` : '';
  const snapshots = `${dryRun ? 'would expire' : 'expired'} ${report.expired} snapshot(s)${refs}`;
  const parts = Object.entries(deleted).map(
    ([kind, { count, bytes }]) => `${count} ${kind} (${formatBytes(bytes)})`,
  );
  const verb = dryRun ? 'would delete' : 'deleted';
  const objects = parts.length === 0 ? `${verb} nothing` : `${verb} ${parts.join(', ')}`;
  return `${snapshots}, ${objects}, metadata v${report.version}${dryRun ? ' (dry run)' : ''}`;
}
