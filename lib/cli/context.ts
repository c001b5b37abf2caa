/**
 * What every CLI command gets: the parsed configuration (flags override the environment),
 * output, a logger that stays quiet unless asked, and lazily opened dependencies.
 */
import { existsSync } from 'node:fs';
import { type AsthaConfig, loadConfig } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import type { Dependencies } from '../runtime/dependencies.js';
import { cliLogStream } from './logStream.js';
import { UsageError } from './usageError.js';
import { createOutput, type Output } from './output.js';

export { UsageError } from './usageError.js';

/** Log messages a terminal user sees as the command's own lines instead (start's rejection lines). */
const SHOWN_BY_COMMANDS: ReadonlySet<string> = new Set(['file rejected']);

export interface GlobalFlags {
  json: boolean;
  registry?: string;
  warehouse?: string;
  verbose: boolean;
  /** A `file:` registry must already exist (read commands): a mistyped path is an error, not a new database. */
  existingRegistry?: boolean;
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
      opened ??= import('../runtime/dependencies.js').then((m) => {
        const file = m.registryFilePath(config.registry.url);
        if (flags.existingRegistry && file !== undefined && !existsSync(file))
          throw new UsageError(
            `no registry at ${file} (check --registry / ASTHA_REGISTRY_URL; \`astha start\` creates one)`,
          );
        return m.openDependencies(config, logger);
      });
      return opened;
    },
    close: () => {
      void opened?.then((d) => d.close()).catch(() => undefined);
    },
  };
}
