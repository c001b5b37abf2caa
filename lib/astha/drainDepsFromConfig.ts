/**
 * Builds the drainer's dependencies from the typed configuration: the registry, one SQS
 * queue per deployed component (and its dead-letter queue for health checks), the limits.
 * Called once per Lambda container; the handler stays a thin wrapper around `runFor`.
 */
import { wakes } from './wakes.js';
import type { Logger } from 'pino';
import type { AsthaConfig } from '../config.js';
import { ConfigError } from '../config.js';
import { resolveRegistryConnection } from '../runtime/dependencies.js';
import type { Queue } from '../queue/queue.js';
import { SqsQueue } from '../queue/sqsQueue.js';
import { openRegistry } from '../registry/registry.js';
import type { DrainDeps } from './drain.js';
import { type Component, isComponent } from './subscriptions.js';

function sqsQueues(urls: Readonly<Record<string, string>>, config: AsthaConfig, what: string) {
  const queues: Partial<Record<Component, Queue>> = {};
  for (const [name, url] of Object.entries(urls)) {
    if (!isComponent(name))
      throw new ConfigError(`${what} names an unknown component ${JSON.stringify(name)}`);
    queues[name] = new SqsQueue(url, config.aws);
  }
  return queues;
}

export async function drainDepsFromConfig(config: Readonly<AsthaConfig>, logger: Logger): Promise<DrainDeps> {
  // Deployed, the URL and token come from the Secrets Manager secret (read once per container).
  const connection = await resolveRegistryConnection(config);
  const registry = await openRegistry(
    connection.url,
    connection.authToken === undefined ? {} : { authToken: connection.authToken },
  );
  return {
    registry: registry.client,
    queues: sqsQueues(config.componentQueues, config, 'ASTHA_COMPONENT_QUEUES'),
    deadLetterQueues: sqsQueues(config.componentDeadLetterQueues, config, 'ASTHA_COMPONENT_DLQS'),
    // A change goes only to the components it can give work to: most are a component's own echoes.
    route: wakes,
    // A table's changes of one pass travel as one message per component.
    pack: true,
    logger,
    limits: {
      batchSize: config.drain.batchSize,
      pollIntervalMs: config.drain.pollIntervalMs,
    },
  };
}
