/**
 * What every CLI command gets: the parsed configuration (flags override the environment),
 * output, a logger that stays quiet unless asked, and lazily opened dependencies.
 */
import { type AsthaConfig, loadConfig } from '../config.js';
import { AsthaError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { type Dependencies, openDependencies } from '../runtime/dependencies.js';
import { createOutput, type Output } from './output.js';

export class UsageError extends AsthaError {
  constructor(message: string) {
    super('usage', message);
  }
}

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
  const logger = createLogger({ level: flags.verbose ? 'debug' : (env.ASTHA_LOG_LEVEL ?? 'warn') });
  let opened: Promise<Dependencies> | undefined;
  return {
    config,
    out: createOutput(flags.json),
    logger,
    deps: () => {
      opened ??= openDependencies(config, logger);
      return opened;
    },
    close: () => {
      void opened?.then((d) => d.close()).catch(() => undefined);
    },
  };
}
