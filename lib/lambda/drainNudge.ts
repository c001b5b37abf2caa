/**
 * A middy middleware for every function that writes registry changes (register, the
 * components, the snapshotter's tick): once the handler is done (or has failed, since some
 * of its transactions may have committed), nudge the drainer if the change log holds rows.
 * Without a deployed drain function (ASTHA_DRAIN_FUNCTION unset) it does nothing.
 */
import type { MiddlewareObj } from '@middy/core';
import type { Client } from '@libsql/client';
import { type DrainNudger, nudgeIfPending } from '../astha/nudge.js';
import { LambdaNudger } from '../aws/lambdaNudger.js';
import type { AsthaConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Dependencies } from '../runtime/dependencies.js';

export interface DrainNudgeOptions {
  /** The function's registry, as its dependencies open it (once per container). */
  registry: () => Promise<Client>;
  nudger: DrainNudger | undefined;
  logger: Logger;
}

export function drainNudge(options: DrainNudgeOptions): MiddlewareObj {
  const { nudger } = options;
  const after = async (): Promise<void> => {
    if (!nudger) return;
    // No registry (the start failed): the handler's own error says so; nothing was written.
    const registry = await options.registry().catch(() => undefined);
    if (registry) await nudgeIfPending(registry, nudger, options.logger);
  };
  // onError does not handle the error: middy rethrows it after the nudge.
  return { after, onError: after };
}

/** The nudger the configuration names, or none (local runs nudge in-process instead). */
export function nudgerFromConfig(config: Readonly<AsthaConfig>): DrainNudger | undefined {
  const name = config.drain.nudgeFunction;
  return name === undefined ? undefined : new LambdaNudger(name, config.aws);
}

/** The middleware as every writer function uses it: its own registry, the configured nudger. */
export function drainNudgeFromConfig(
  config: Readonly<AsthaConfig>,
  dependencies: () => Promise<Dependencies>,
  logger: Logger,
): MiddlewareObj {
  return drainNudge({
    registry: async () => (await dependencies()).registry.client,
    nudger: nudgerFromConfig(config),
    logger,
  });
}
