/**
 * What every CLI command gets: the parsed configuration (flags override the environment),
 * output, a logger that stays quiet unless asked, and lazily opened dependencies.
 */
import { type AsthaConfig, loadConfig } from '../config.js';
import { AsthaError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import type { Dependencies } from '../runtime/dependencies.js';
import { cliLogStream } from './logStream.js';
import { createOutput, type Output } from './output.js';

export class UsageError extends AsthaError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** Log messages a terminal user sees as the command's own lines instead (start's rejection lines). */
const SHOWN_BY_COMMANDS: ReadonlySet<string> = new Set(['file rejected']);

export interface GlobalFlags {
  json: boolean;
  registry?: string;
  warehouse?: string;
  verbose: boolean;
}

export interface CliContext {
  config: Readonly<AsthaConfig>;
  out: Output;
  logger: Logger;
  deps(): Promise<Dependencies>;
  close(): void;
}

export function createContext(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): CliContext {
  const config = loadConfig({
    ...env,
    ...(flags.registry ? { ASTHA_REGISTRY_URL: flags.registry } : {}),
    ...(flags.warehouse ? { ASTHA_WAREHOUSE: flags.warehouse } : {}),
  });
  const logger = createLogger({
    level: flags.verbose ? 'debug' : (env.ASTHA_LOG_LEVEL ?? 'warn'),
    destination: cliLogStream({ shownElsewhere: SHOWN_BY_COMMANDS }),
  });
  let opened: Promise<Dependencies> | undefined;
  return {
    config,
    out: createOutput(flags.json),
    logger,
    deps: () => {
      // Imported on first use: `astha --help` and usage mistakes never load the SDKs.
      opened ??= import('../runtime/dependencies.js').then((m) => m.openDependencies(config, logger));
      return opened;
    },
    close: () => {
      void opened?.then((d) => d.close()).catch(() => undefined);
    },
  };
}
