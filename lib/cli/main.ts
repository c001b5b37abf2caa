/**
 * The `astha` command line. Errors a user can fix are one line and exit code 2 (a JSON object
 * on stderr under --json); failures of the work itself exit 1; nothing prints a stack trace
 * unless --verbose. The commands themselves are in commands.ts.
 */
import { parseArgs } from 'node:util';
import { AsthaError, errorMessage } from '../errors.js';
import { redactSecrets } from '../redact.js';
import { COMMANDS, type CommandSpec, type Flags, GLOBAL_OPTIONS } from './commands.js';
import type { CliContext } from './context.js';
import { commandHelp, globalHelp, packageVersion, suggestCommands } from './help.js';
import { UsageError } from './usageError.js';

export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  let flags: Flags;
  let positionals: string[];
  let spec: CommandSpec | undefined;
  try {
    ({ values: flags, positionals } = parse(argv));
    if (flags.version) return print(packageVersion());
    const name = positionals[0];
    if (name === undefined || name === 'help') {
      const topic = name === 'help' ? positionals[1] : undefined;
      if (topic !== undefined) return print(commandHelp(commandNamed(topic)));
      if (flags.help || name === 'help') return print(globalHelp());
      process.stdout.write(`${globalHelp()}\n`);
      return 2;
    }
    spec = commandNamed(name);
    if (flags.help) return print(commandHelp(spec));
    checkInvocation(name, spec, positionals.slice(1), flags);
  } catch (error) {
    return report(error, json, false);
  }
  let ctx: CliContext | undefined;
  try {
    // Loaded only to run a command: help and mistakes never load the logger or the SDKs.
    const { createContext } = await import('./context.js');
    ctx = createContext({
      json: flags.json ?? false,
      verbose: flags.verbose ?? false,
      existingRegistry: !spec.createsRegistry,
      ...(flags.registry ? { registry: flags.registry } : {}),
      ...(flags.warehouse ? { warehouse: flags.warehouse } : {}),
    });
    return await spec.run(ctx, positionals.slice(1), flags);
  } catch (error) {
    return report(error, json, flags.verbose ?? false);
  } finally {
    ctx?.close();
  }
}

function print(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

function commandNamed(name: string): CommandSpec {
  const spec = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (spec) return spec;
  const close = suggestCommands(name);
  throw new UsageError(
    `unknown command ${JSON.stringify(name)}${close.length > 0 ? `; did you mean ${close.map((c) => `\`astha ${c}\``).join(' or ')}?` : ''} (see astha --help)`,
  );
}

/** Options the command does not take and too few or too many arguments are mistakes. */
function checkInvocation(name: string, spec: CommandSpec, args: readonly string[], flags: Flags): void {
  for (const option of Object.keys(flags) as (keyof Flags)[]) {
    if (flags[option] === undefined) continue;
    if (!(GLOBAL_OPTIONS as readonly string[]).includes(option) && !spec.options.includes(option))
      throw new UsageError(`astha ${name} takes no --${option} (usage: astha ${spec.usage})`);
  }
  const [min, max] = spec.args;
  if (args.length < min) throw new UsageError(`usage: astha ${spec.usage}`);
  if (args.length > max) {
    const extra = args.slice(max).map((a) => JSON.stringify(a));
    throw new UsageError(
      `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.join(' ')} (usage: astha ${spec.usage})`,
    );
  }
}

/** One line on stderr (a JSON object under --json); exit 2 for mistakes a user can fix, 1 otherwise. */
function report(error: unknown, json: boolean, verbose: boolean): number {
  const usage =
    error instanceof UsageError ||
    (error instanceof AsthaError && error.code === 'config') ||
    (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
  const code = error instanceof AsthaError ? error.code : usage ? 'usage' : 'error';
  if (json) process.stderr.write(`${JSON.stringify({ error: { code, message: errorMessage(error) } })}\n`);
  else
    process.stderr.write(
      `astha: ${errorMessage(error)}${usage && !(error instanceof AsthaError) ? '\n(see astha --help)' : ''}\n`,
    );
  if (verbose && error instanceof Error && error.stack)
    process.stderr.write(`${redactSecrets(error.stack)}\n`);
  return usage ? 2 : 1;
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
      limit: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'no-catalog': { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
}
