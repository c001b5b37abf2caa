/**
 * The `astha` command line. Errors a user can fix are one line and exit code 2; failures
 * of the work itself exit 1; nothing prints a stack trace unless --verbose.
 */
import { parseArgs } from 'node:util';
import { AsthaError, errorMessage } from '../errors.js';
import { redactSecrets } from '../redact.js';
import { createContext, UsageError } from './context.js';
import { showCommand, statusCommand, tablesCommand } from './inspectCommands.js';
import { backfillCommand, registerCommand } from './registerCommands.js';
import { compactCommand, maintainCommand } from './maintenanceCommands.js';
import { propertiesCommand } from './propertiesCommand.js';
import { snapshotCommand } from './snapshotCommand.js';
import { startCommand } from './startCommand.js';

const HELP = `astha: Parquet files in object storage become Apache Iceberg tables.

usage: astha <command> [options]

commands:
  start                      run everything locally (embedded default: ./.astha/registry.db, ./warehouse)
  register <path|s3-uri>...  register files already in the warehouse (--sync waits until committed)
  backfill [prefix]          register every data file under a warehouse prefix, streaming
  status                     tables, files by state, CDC backlog, breakers, rejections
  tables                     every table with its row and file counts
  show <namespace.table>     schema, partitions, snapshots, metadata location, query snippets
  snapshot <namespace.table> commit the table's pending files now, whatever its commit policy
  properties <namespace.table> [key=value ...] [--unset key]
                             show or change table properties (commit policy astha.commit.min-files,
                             astha.commit.max-age-seconds, astha.commit.min-bytes; expiration ...)
  compact <namespace.table>  merge each partition's small files into target-size files now (policy:
                             astha.compaction.enabled, .min-input-files, .small-file-fraction,
                             write.target-file-size-bytes); --dry-run prints the plan only
  maintain <namespace.table> expire old snapshots and delete what no snapshot reaches now;
                             --dry-run lists what would be deleted

options:
  --json                     machine-readable output (read commands, register, backfill, compact, maintain)
  --dry-run                  compact / maintain: change nothing, print what would be done
  --registry <url>           libSQL URL (default $ASTHA_REGISTRY_URL or file:./.astha/registry.db)
  --warehouse <url>          s3://bucket/prefix, file:///dir or a directory (default $ASTHA_WAREHOUSE or ./warehouse)
  --sync                     register: wait until each file is committed
  --timeout <seconds>        register --sync / start --until-idle: give up after this long (default 60)
  --no-sample                start: do not write the sample table into an empty warehouse
  --until-idle               start: exit once idle (warehouse scanned, queues drained, all committed)
  -v, --verbose              log what happens (JSON lines on stderr)
  -h, --help                 this help`;

export async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`astha: ${errorMessage(error)}\n(see astha --help)\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  const timeoutSeconds = Number(values.timeout ?? 60);
  let ctx: ReturnType<typeof createContext> | undefined;
  try {
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
      throw new UsageError('--timeout takes a positive number of seconds');
    ctx = createContext({
      json: values.json ?? false,
      verbose: values.verbose ?? false,
      ...(values.registry ? { registry: values.registry } : {}),
      ...(values.warehouse ? { warehouse: values.warehouse } : {}),
    });
    switch (command) {
      case 'start':
        return await startCommand(ctx, {
          sample: !values['no-sample'],
          untilIdle: values['until-idle'] ?? false,
          timeoutSeconds,
        });
      case 'register':
        return await registerCommand(ctx, rest, { sync: values.sync ?? false, timeoutSeconds });
      case 'backfill':
        return await backfillCommand(ctx, rest[0] ?? '');
      case 'status':
        await statusCommand(ctx);
        return 0;
      case 'tables':
        await tablesCommand(ctx);
        return 0;
      case 'show':
        await showCommand(ctx, rest[0]);
        return 0;
      case 'snapshot':
        return await snapshotCommand(ctx, rest[0]);
      case 'properties':
        return await propertiesCommand(ctx, rest, values.unset ?? []);
      case 'compact':
        return await compactCommand(ctx, rest[0], { dryRun: values['dry-run'] ?? false });
      case 'maintain':
        return await maintainCommand(ctx, rest[0], { dryRun: values['dry-run'] ?? false });
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    const usage = error instanceof UsageError || (error instanceof AsthaError && error.code === 'config');
    process.stderr.write(`astha: ${errorMessage(error)}\n`);
    if (values.verbose && error instanceof Error && error.stack)
      process.stderr.write(`${redactSecrets(error.stack)}\n`);
    return usage ? 2 : 1;
  } finally {
    ctx?.close();
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      registry: { type: 'string' },
      warehouse: { type: 'string' },
      sync: { type: 'boolean' },
      timeout: { type: 'string' },
      'no-sample': { type: 'boolean' },
      'until-idle': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      unset: { type: 'string', multiple: true },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
