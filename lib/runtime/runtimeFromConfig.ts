/**
 * Builds the local runtime for one of its two modes from the typed configuration:
 * - embedded default (no queues configured): in-process queues with SQS-like redrive, the
 *   warehouse directory watched for new files;
 * - LocalStack / AWS (registration and component queue URLs configured): real SQS queues that
 *   S3 notifies, polled like Lambda event-source mappings.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Component } from '../astha/subscriptions.js';
import { createCatalogSync } from '../catalogSync/catalogSync.js';
import { glueFromConfig } from '../catalogSync/glueFromConfig.js';
import { createCompactor } from '../compactor/compactor.js';
import { createIcebergUpdater } from '../components/icebergUpdater.js';
import { createMetadataOrchestrator } from '../components/metadataOrchestrator.js';
import { commitPolicyGate } from '../snapshotter/commitPolicy.js';
import { createSnapshotter } from '../snapshotter/snapshotter.js';
import type { AsthaConfig } from '../config.js';
import { ConfigError } from '../config.js';
import type { Logger } from '../log.js';
import { MemoryQueue } from '../queue/memoryQueue.js';
import { openQueue } from '../queue/openQueue.js';
import type { Queue } from '../queue/queue.js';
import { openRegistry, type Registry } from '../registry/registry.js';
import { FsStore } from '../store/fsStore.js';
import { type Dependencies, openDependencies, resolveRegistryConnection } from './dependencies.js';
import { LocalRuntime } from './localRuntime.js';

/** The components this runtime runs, each on its own FIFO queue (DESIGN.md: all four). */
export const RUNTIME_COMPONENTS = [
  'iceberg_updater',
  'metadata_orchestrator',
  'snapshotter',
  'compactor',
] as const satisfies readonly Component[];

/** The runtime's components: the four, plus catalog_sync when Glue is configured. */
export function runtimeComponents(config: Readonly<AsthaConfig>): readonly Component[] {
  return config.glue === undefined ? RUNTIME_COMPONENTS : [...RUNTIME_COMPONENTS, 'catalog_sync'];
}
/** SQS redrive as the CDK stack configures it. */
export const COMPONENT_MAX_RECEIVES = 30;
export const REGISTRATION_MAX_RECEIVES = 5;

export interface BuiltRuntime {
  runtime: LocalRuntime;
  deps: Dependencies;
  mode: 'embedded' | 'queues';
  /** A connection of its own for whoever watches the runtime (the CLI, tests). */
  observer: Registry;
  /** Live data files the registry knows (key → ETag), so the watcher does not re-announce them. */
  known: Map<string, string>;
}

export interface RuntimeBuildOptions {
  /** The drainer's safety-net schedule; nudges after every batch start it otherwise. Default 10 s. */
  drainPeriodMs?: number;
  scanIntervalMs?: number;
  /** Seconds before a failed message comes back (embedded default 2 s; queues mode: the queue's own visibility timeout). */
  failedVisibilitySeconds?: number;
  /** How often the snapshotter's scheduled tick runs (time-based commits, expiration, cleanup). Default 60 s. */
  tickIntervalMs?: number;
}

export async function buildRuntime(
  config: Readonly<AsthaConfig>,
  logger: Logger,
  options: RuntimeBuildOptions = {},
): Promise<BuiltRuntime> {
  const embedded = config.registrationQueue === undefined;
  if (!embedded && Object.keys(config.componentQueues).length === 0) {
    throw new ConfigError('ASTHA_REGISTRATION_QUEUE is set but ASTHA_COMPONENT_QUEUES is empty');
  }
  const deps = await openDependencies(config, logger);
  const { registry, store, warehouse } = deps;
  const queues = embedded
    ? memoryComponentQueues(runtimeComponents(config))
    : { queues: deps.queues, deadLetter: {} };
  const registrationDeadLetter = embedded ? new MemoryQueue('registration-dlq', { fifo: false }) : undefined;
  const registrationQueue: Queue = registrationDeadLetter
    ? new MemoryQueue('registration', {
        fifo: false,
        redrive: { deadLetterQueue: registrationDeadLetter, maxReceiveCount: REGISTRATION_MAX_RECEIVES },
      })
    : openQueue(config.registrationQueue!, { aws: config.aws });
  // One registry connection per function, as each Lambda has its own: a local libSQL client
  // holds a single connection, and one function's transaction must not block another's reads.
  const connection = await resolveRegistryConnection(config);
  const openOwn = () =>
    openRegistry(
      connection.url,
      connection.authToken === undefined ? {} : { authToken: connection.authToken },
    );
  // Opened one after another: each open checks the migrations, and those must not race.
  const updaterRegistry = await openOwn();
  const orchestratorRegistry = await openOwn();
  const snapshotterRegistry = await openOwn();
  const compactorRegistry = await openOwn();
  const drainRegistry = await openOwn();
  const glue = glueFromConfig(config);
  const catalogSyncRegistry = glue ? await openOwn() : undefined;
  const observer = await openOwn();
  const snapshotter = createSnapshotter({
    registry: snapshotterRegistry,
    store,
    logger: logger.child({ component: 'snapshotter' }),
  });
  const components = [
    createIcebergUpdater({
      commitGate: commitPolicyGate(updaterRegistry),
      registry: updaterRegistry,
      store,
      logger: logger.child({ component: 'iceberg_updater' }),
    }),
    createMetadataOrchestrator({
      registry: orchestratorRegistry,
      store,
      logger: logger.child({ component: 'metadata_orchestrator' }),
    }),
    snapshotter,
    createCompactor({
      registry: compactorRegistry,
      store,
      logger: logger.child({ component: 'compactor' }),
    }),
    ...(glue && catalogSyncRegistry
      ? [
          createCatalogSync({
            registry: catalogSyncRegistry,
            ...glue,
            logger: logger.child({ component: 'catalog_sync' }),
          }),
        ]
      : []),
  ];
  const watchDir = embedded && warehouse.url.startsWith('file:') ? fileURLToPath(warehouse.url) : undefined;
  if (watchDir) mkdirSync(watchDir, { recursive: true });
  if (store instanceof FsStore) {
    // A previous run killed mid-write left temp files and locks (under metadata/ above all).
    const swept = await store.sweepTemporaries();
    if (swept.length > 0) logger.info({ removed: swept.length }, 'removed temporary files of a previous run');
  }
  const runtime = new LocalRuntime({
    registry,
    drainRegistry,
    store,
    bucket: warehouse.bucket,
    warehousePrefix: warehouse.prefix,
    verifyData: config.registration.verifyData,
    registrationQueue,
    ...(registrationDeadLetter ? { registrationDeadLetter } : {}),
    componentQueues: queues.queues,
    deadLetterQueues: queues.deadLetter,
    components,
    ticks: [
      { name: 'snapshotter', everyMs: options.tickIntervalMs ?? 60_000, run: () => snapshotter.tick() },
    ],
    logger,
    ...(watchDir ? { watchDir } : {}),
    // An s3:// warehouse without queues gets no S3 notifications: its listing is the only news.
    ...(embedded && !watchDir ? { scanWarehouse: true } : {}),
    registrationPollers: registrationPollers(embedded, connection.url),
    ...(options.drainPeriodMs ? { drainPeriodMs: options.drainPeriodMs } : {}),
    ...(options.scanIntervalMs ? { scanIntervalMs: options.scanIntervalMs } : {}),
    ...(embedded || options.failedVisibilitySeconds !== undefined
      ? { failedVisibilitySeconds: options.failedVisibilitySeconds ?? 2 }
      : {}),
  });
  const closeAll = () => {
    for (const own of [
      updaterRegistry,
      orchestratorRegistry,
      snapshotterRegistry,
      compactorRegistry,
      drainRegistry,
      observer,
      ...(catalogSyncRegistry ? [catalogSyncRegistry] : []),
    ])
      own.close();
    deps.close();
  };
  return {
    runtime,
    deps: { ...deps, close: closeAll },
    observer,
    mode: embedded ? 'embedded' : 'queues',
    known: await knownFiles(deps),
  };
}

/**
 * Registration batches in flight at once. Queues mode on a registry server plays Lambda, which
 * polls a standard queue with five concurrent batches (each registration is one transaction, and
 * sqld takes several); a `file:` registry has one writer, and the embedded default one watcher.
 */
function registrationPollers(embedded: boolean, registryUrl: string): number {
  return embedded || registryUrl.startsWith('file:') ? 1 : REGISTRATION_POLLERS;
}
const REGISTRATION_POLLERS = 5;

function memoryComponentQueues(components: readonly Component[]) {
  const queues: Partial<Record<Component, Queue>> = {};
  const deadLetter: Partial<Record<Component, Queue>> = {};
  for (const component of components) {
    const dlq = new MemoryQueue(`${component}-dlq`, { fifo: true });
    deadLetter[component] = dlq;
    queues[component] = new MemoryQueue(component, {
      fifo: true,
      redrive: { deadLetterQueue: dlq, maxReceiveCount: COMPONENT_MAX_RECEIVES },
    });
  }
  return { queues, deadLetter };
}

async function knownFiles(deps: Dependencies): Promise<Map<string, string>> {
  const result = await deps.registry.client.execute(
    `SELECT path, etag FROM table_files
      WHERE iceberg_state IN ('pending', 'committing', 'committed', 'rejected') AND astha_written = 0`,
  );
  const known = new Map(result.rows.map((row) => [String(row.path), String(row.etag)]));
  // Objects refused outside any table are known too: a restart must not reject them again.
  const { bucket, prefix } = deps.warehouse;
  const keyPrefix = prefix === '' ? '' : `${prefix}/`;
  const rejected = await deps.registry.client.execute({
    sql: 'SELECT key, etag FROM rejected_objects WHERE bucket = ? AND substr(key, 1, ?) = ?',
    args: [bucket, keyPrefix.length, keyPrefix],
  });
  for (const row of rejected.rows) known.set(String(row.key).slice(keyPrefix.length), String(row.etag));
  return known;
}
