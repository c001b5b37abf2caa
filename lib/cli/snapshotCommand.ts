/**
 * `astha snapshot <namespace.table>`: commit the table's pending files now, whatever its commit
 * policy says. The request is recorded (so a running updater honours it too), then committed
 * here at once; the claim protocol makes that safe next to a running runtime or stack.
 */
import { commitPending } from '../iceberg/commitPending.js';
import { requestSnapshot } from '../snapshotter/requestSnapshot.js';
import type { CliContext } from './context.js';
import { UsageError } from './context.js';

export async function snapshotCommand(ctx: CliContext, name: string | undefined): Promise<number> {
  const match = /^([^.]+)\.([^.]+)$/.exec(name ?? '');
  if (!match) throw new UsageError('usage: astha snapshot <namespace>.<table>');
  const { registry, store } = await ctx.deps();
  const table = await registry.tableByName(match[1]!, match[2]!);
  if (!table) throw new UsageError(`no table ${name}; see \`astha tables\``);
  await requestSnapshot(registry, table.id);
  const result = await commitPending(table.id, { registry, store });
  const outcome =
    result === 'nothing pending'
      ? { table: name, committed: false, filesAdded: 0 }
      : {
          table: name,
          committed: true,
          snapshotId: result.snapshotId,
          version: result.version,
          filesAdded: result.filesAdded,
          metadataLocation: result.metadataLocation,
        };
  if (ctx.out.json) ctx.out.data(outcome);
  else if (!outcome.committed) ctx.out.line(`${name}: nothing pending, no snapshot needed`);
  else
    ctx.out.line(
      `${name}: snapshot ${outcome.snapshotId} with ${outcome.filesAdded} files, ${outcome.metadataLocation}`,
    );
  return 0;
}
