/**
 * The command table: every `astha` command is one entry (usage, help, the options it takes,
 * how many arguments, and how it runs). Command modules are imported only when that command
 * runs, so `astha --help` loads none of the AWS SDK or libSQL.
 */
import type { CatalogServerConfig } from '../config.js';
import type { CliContext } from './context.js';
import { UsageError } from './usageError.js';

/** Flags every command accepts. */
export const GLOBAL_OPTIONS = ['json', 'registry', 'warehouse', 'verbose', 'help', 'version'] as const;

/** The parsed options, as `node:util` parseArgs gives them. */
export interface Flags {
  json?: boolean;
  registry?: string;
  warehouse?: string;
  verbose?: boolean;
  help?: boolean;
  version?: boolean;
  sync?: boolean;
  timeout?: string;
  'no-sample'?: boolean;
  'until-idle'?: boolean;
  'dry-run'?: boolean;
  unset?: string[];
  limit?: string;
  port?: string;
  host?: string;
  'no-catalog'?: boolean;
}

export interface CommandSpec {
  /** `astha <usage>` */
  usage: string;
  /** One line for the command list. */
  summary: string;
  /** More lines for `astha <command> --help`. */
  details?: string;
  /** Options beyond the global ones. */
  options: readonly (keyof Flags)[];
  /** Writes registrations, so may create a new `file:` registry (read commands only open existing ones). */
  createsRegistry?: boolean;
  /** How many positional arguments: [min, max]. */
  args: readonly [number, number];
  run(ctx: CliContext, args: readonly string[], flags: Flags): Promise<number>;
}

/** For commands that print and have nothing to report in their exit code. */
const exitZero = (printing: Promise<void>): Promise<number> => printing.then(() => 0);

/** Add a command by adding an entry here. The order is the order of `astha --help`. */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  start: {
    usage: 'start [--no-sample] [--until-idle] [--timeout <s>] [--port <n>] [--no-catalog]',
    summary: 'run everything locally (embedded default: ./.astha/registry.db, ./warehouse)',
    details: `Watches the warehouse and turns Parquet files under <warehouse>/<namespace>/<table>/data/
into Iceberg tables. On an empty warehouse it first writes a sample table demo.trips.
Prints one line per commit and per rejected file; Ctrl-C stops it.
Serves the Iceberg REST catalog on http://127.0.0.1:8181 (--port, --host; --no-catalog turns it off).`,
    options: ['no-sample', 'until-idle', 'timeout', 'port', 'host', 'no-catalog'],
    args: [0, 0],
    run: async (ctx, _args, flags) =>
      (await import('./startCommand.js')).startCommand(ctx, {
        sample: !flags['no-sample'],
        untilIdle: flags['until-idle'] ?? false,
        timeoutSeconds: timeoutSeconds(flags),
        catalog: flags['no-catalog'] ? undefined : catalogSettings(ctx, flags),
      }),
  },
  serve: {
    usage: 'serve [--port <n>] [--host <address>]',
    summary: 'serve only the Iceberg REST catalog over the registry and warehouse',
    details: `Engines find the tables by name (DuckDB ATTACH ... TYPE iceberg, PyIceberg load_catalog,
Spark, Trino) while another process or the deployed stack writes them. Read-only to engines.
Loopback only unless $ASTHA_CATALOG_TOKEN is set: then clients send it as a bearer token.`,
    options: ['port', 'host'],
    args: [0, 0],
    run: async (ctx, _args, flags) =>
      (await import('./serveCommand.js')).serveCommand(ctx, catalogSettings(ctx, flags)),
  },
  register: {
    usage: 'register <path|s3-uri>... [--sync] [--timeout <s>]',
    summary: 'register files already in the warehouse (--sync waits until committed)',
    details: `Exit code 1 if any file was rejected (now or before) or, with --sync, not committed in time.
Nothing commits until \`astha start\` or the deployed stack runs.`,
    options: ['sync', 'timeout'],
    createsRegistry: true,
    args: [1, Number.POSITIVE_INFINITY],
    run: async (ctx, args, flags) =>
      (await import('./registerCommands.js')).registerCommand(ctx, args, {
        sync: flags.sync ?? false,
        timeoutSeconds: timeoutSeconds(flags),
      }),
  },
  backfill: {
    usage: 'backfill [prefix]',
    summary: 'register every data file under a warehouse prefix, streaming',
    details: 'Files are registered, not committed: `astha start` (or the deployed stack) commits them.',
    options: [],
    createsRegistry: true,
    args: [0, 1],
    run: async (ctx, args) => (await import('./registerCommands.js')).backfillCommand(ctx, args[0] ?? ''),
  },
  status: {
    usage: 'status',
    summary: 'tables, files by state, CDC backlog, breakers, recent rejections',
    options: [],
    args: [0, 0],
    run: async (ctx) => exitZero((await import('./inspectCommands.js')).statusCommand(ctx)),
  },
  tables: {
    usage: 'tables',
    summary: 'every table with its committed rows and files, and pending and rejected files',
    options: [],
    args: [0, 0],
    run: async (ctx) => exitZero((await import('./inspectCommands.js')).tablesCommand(ctx)),
  },
  show: {
    usage: 'show <namespace.table>',
    summary: 'schema, partitions, snapshots, rejected files, metadata location, query snippets',
    options: [],
    args: [1, 1],
    run: async (ctx, args) => exitZero((await import('./inspectCommands.js')).showCommand(ctx, args[0])),
  },
  rejections: {
    usage: 'rejections [namespace.table] [--limit <n>]',
    summary: 'rejected files and objects with the reason, newest first',
    options: ['limit'],
    args: [0, 1],
    run: async (ctx, args, flags) =>
      (await import('./rejectionsCommand.js')).rejectionsCommand(ctx, args[0], positiveInt(flags.limit, 50)),
  },
  snapshot: {
    usage: 'snapshot <namespace.table>',
    summary: "commit the table's pending files now, whatever its commit policy",
    options: [],
    args: [1, 1],
    run: async (ctx, args) => (await import('./snapshotCommand.js')).snapshotCommand(ctx, args[0]),
  },
  properties: {
    usage: 'properties <namespace.table> [key=value ...] [--unset key]',
    summary: 'show or change table properties',
    details: `Commit policy: astha.commit.min-files, astha.commit.max-age-seconds, astha.commit.min-bytes;
expiration: history.expire.*; compaction: astha.compaction.*, write.target-file-size-bytes.`,
    options: ['unset'],
    args: [1, Number.POSITIVE_INFINITY],
    run: async (ctx, args, flags) =>
      (await import('./propertiesCommand.js')).propertiesCommand(ctx, args, flags.unset ?? []),
  },
  compact: {
    usage: 'compact <namespace.table> [--dry-run]',
    summary: "merge each partition's small files into target-size files now",
    details: `Policy: astha.compaction.enabled, .min-input-files, .small-file-fraction,
write.target-file-size-bytes. --dry-run prints the plan only.`,
    options: ['dry-run'],
    args: [1, 1],
    run: async (ctx, args, flags) =>
      (await import('./maintenanceCommands.js')).compactCommand(ctx, args[0], {
        dryRun: flags['dry-run'] ?? false,
      }),
  },
  maintain: {
    usage: 'maintain <namespace.table> [--dry-run]',
    summary: 'expire old snapshots and delete what no snapshot reaches now',
    details: '--dry-run lists what would be deleted.',
    options: ['dry-run'],
    args: [1, 1],
    run: async (ctx, args, flags) =>
      (await import('./maintenanceCommands.js')).maintainCommand(ctx, args[0], {
        dryRun: flags['dry-run'] ?? false,
      }),
  },
};

/** What each option means, for help texts. */
export const OPTION_HELP: Readonly<Record<keyof Flags, string>> = {
  json: '--json                 machine-readable output on stdout; mistakes as JSON on stderr',
  registry: '--registry <url>       libSQL URL (default $ASTHA_REGISTRY_URL or file:./.astha/registry.db)',
  warehouse:
    '--warehouse <url>      s3://bucket/prefix, file:///dir or a directory (default $ASTHA_WAREHOUSE or ./warehouse)',
  verbose: '-v, --verbose          log what happens (stderr: readable on a terminal, JSON lines otherwise)',
  help: '-h, --help             help (astha <command> --help for one command)',
  version: '--version              print the version',
  sync: '--sync                 wait until each file is committed',
  timeout: '--timeout <seconds>    give up waiting after this long (default 60)',
  'no-sample': '--no-sample            do not write the sample table into an empty warehouse',
  'until-idle': '--until-idle           exit once everything registered is committed or rejected',
  'dry-run': '--dry-run              change nothing, print what would be done',
  unset: '--unset <key>          remove a property (repeatable)',
  limit: '--limit <n>            at most this many (default 50)',
  port: "--port <n>             the REST catalog's port (default $ASTHA_CATALOG_PORT or 8181)",
  host: '--host <address>       where the catalog listens (default 127.0.0.1; elsewhere needs $ASTHA_CATALOG_TOKEN)',
  'no-catalog': '--no-catalog           do not serve the REST catalog',
};

/** Where the REST catalog listens: the configuration, then --host / --port. */
function catalogSettings(ctx: CliContext, flags: Flags): CatalogServerConfig {
  const settings = { ...ctx.config.catalog, ...(flags.host ? { host: flags.host } : {}) };
  if (flags.port === undefined) return settings;
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || port > 65535) throw new UsageError('--port takes a port number');
  return { ...settings, port };
}

function timeoutSeconds(flags: Flags): number {
  return positiveNumber(flags.timeout, 60, '--timeout takes a positive number of seconds');
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = positiveNumber(value, fallback, '--limit takes a positive whole number');
  if (!Number.isInteger(n)) throw new UsageError('--limit takes a positive whole number');
  return n;
}

function positiveNumber(value: string | undefined, fallback: number, message: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(message);
  return n;
}
