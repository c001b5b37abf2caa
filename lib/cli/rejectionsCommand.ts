/**
 * `astha rejections [namespace.table]`: the files and objects astha refused, with the reason,
 * newest first (`--json` for programs).
 */
import { listRejections } from '../registry/catalogReads.js';
import { type CliContext, UsageError } from './context.js';

export async function rejectionsCommand(
  ctx: CliContext,
  name: string | undefined,
  limit: number,
): Promise<number> {
  const { registry } = await ctx.deps();
  let tableId: number | undefined;
  if (name !== undefined) {
    const match = /^([^.]+)\.([^.]+)$/.exec(name);
    if (!match) throw new UsageError('usage: astha rejections [namespace.table]');
    const table = await registry.tableByName(match[1]!, match[2]!);
    if (!table) throw new UsageError(`no table ${name}; see \`astha tables\``);
    tableId = table.id;
  }
  const rejections = await listRejections(registry.client, {
    limit,
    ...(tableId === undefined ? {} : { tableId }),
  });
  if (ctx.out.json) {
    ctx.out.data(rejections.map(({ id: _id, ...r }) => r));
    return 0;
  }
  if (rejections.length === 0) {
    ctx.out.line(name === undefined ? 'no rejected files' : `no rejected files in ${name}`);
    return 0;
  }
  for (const r of rejections) ctx.out.line(`${r.at}  ${r.table ?? '(no table)'}  ${r.key}\n    ${r.reason}`);
  return 0;
}
