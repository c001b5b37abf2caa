/**
 * `astha properties <namespace.table> [key=value ...] [--unset key]`: shows or changes a table's
 * properties (commit policy `astha.commit.*`, `write.target-file-size-bytes`, expiration
 * `history.expire.*`, ...), checked against the known keys and value types. The registry is
 * their one source of truth: components and commands act on a change at once, and the Iceberg
 * table's copy follows at astha's next commit (or the metadata orchestrator's look).
 */
import { AsthaError } from '../errors.js';
import { updateTableProperties } from '../registry/tableProperties.js';
import type { CliContext } from './context.js';
import { UsageError } from './context.js';

export async function propertiesCommand(
  ctx: CliContext,
  args: readonly string[],
  unset: readonly string[],
): Promise<number> {
  const [name, ...assignments] = args;
  const match = /^([^.]+)\.([^.]+)$/.exec(name ?? '');
  if (!match)
    throw new UsageError('usage: astha properties <namespace>.<table> [key=value ...] [--unset key]');
  const set: Record<string, string> = {};
  for (const assignment of assignments) {
    const equals = assignment.indexOf('=');
    if (equals <= 0) throw new UsageError(`expected key=value, got ${JSON.stringify(assignment)}`);
    set[assignment.slice(0, equals)] = assignment.slice(equals + 1);
  }
  const { registry } = await ctx.deps();
  const table = await registry.tableByName(match[1]!, match[2]!);
  if (!table) throw new UsageError(`no table ${name}; see \`astha tables\``);
  let properties: Record<string, string>;
  try {
    properties = await updateTableProperties(registry.client, table.id, set, unset);
  } catch (error) {
    if (error instanceof AsthaError && error.code === 'invalid_property') throw new UsageError(error.message);
    throw error;
  }
  if (ctx.out.json) ctx.out.data(properties);
  else for (const [key, value] of Object.entries(properties).sort()) ctx.out.line(`${key}=${value}`);
  return 0;
}
