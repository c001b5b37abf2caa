/**
 * Runs every astha function in one process with the same handler code Lambda runs:
 * an event-source mapping per queue (registration queue → register; one FIFO queue per
 * component → that component), the drainer started as in AWS (nudged in-process after every
 * batch or tick that may have written changes, plus a safety-net schedule), and, in the embedded default, a watcher that turns files landing in the warehouse directory
 * into S3-shaped notifications on the registration queue.
 */
import { wakes } from '../astha/wakes.js';
import { DEFAULT_DRAIN_LIMITS, type DrainDeps } from '../astha/drain.js';
import { DrainScheduler, type DrainSchedulerOptions } from '../astha/drainScheduler.js';
import { runFor } from '../astha/runFor.js';
import type { Component } from '../astha/subscriptions.js';
import type { ComponentLogic } from '../components/component.js';
import { createComponentHandler } from '../components/componentHandler.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Queue } from '../queue/queue.js';
import { createRegisterHandler } from '../register/registerHandler.js';
import { formatS3Notification, type ObjectChange, parseS3Notification } from '../register/s3Notification.js';
import type { Registry } from '../registry/registry.js';
import type { ObjectStore } from '../store/objectStore.js';
import { EventSourceMapping } from './eventSourceMapping.js';
import { WarehouseWatcher } from './warehouseWatcher.js';

export interface RuntimeParts {
  /** The register function's registry. */
  registry: Registry;
  /** The drainer's own connection (defaults to `registry`). */
  drainRegistry?: Registry;
  store: ObjectStore;
  bucket: string;
  warehousePrefix: string;
  registrationQueue: Queue;
  /** Where registration messages go after their last receive (embedded: files to announce again). */
  registrationDeadLetter?: Queue;
  componentQueues: Partial<Record<Component, Queue>>;
  deadLetterQueues?: Partial<Record<Component, Queue>>;
  components: readonly ComponentLogic[];
  logger: Logger;
  /** Registration verifies data pages, not only footers (default true). */
  verifyData?: boolean;
  /** Embedded default: watch this directory (the warehouse) for new files. */
  watchDir?: string;
  /** Embedded default on a non-directory warehouse (s3://): no notifications arrive, so list it every scanIntervalMs. */
  scanWarehouse?: boolean;
  /** The drainer's safety-net schedule (nudges start it otherwise). Default 10 s. */
  drainPeriodMs?: number;
  /** The schedule's wait; the idle benchmark passes a simulated clock's. */
  drainSleep?: DrainSchedulerOptions['sleep'];
  /** See EventSourceMappingOptions.failedVisibilitySeconds. */
  failedVisibilitySeconds?: number;
  /** Concurrent registration batches (EventSourceMappingOptions.pollers). Default 1. */
  registrationPollers?: number;
  drainLimits?: DrainDeps['limits'];
  scanIntervalMs?: number;
  /** Scheduled work, as EventBridge rules start it in AWS (the snapshotter's tick). */
  ticks?: readonly { name: string; everyMs: number; run: () => Promise<unknown> }[];
}

export class LocalRuntime {
  readonly mappings: EventSourceMapping[] = [];
  private watcher: WarehouseWatcher | undefined;
  private running = false;
  private startupRefresh: Promise<void> | undefined;
  private startupDone = false;
  private readonly tickTimers: NodeJS.Timeout[] = [];
  private readonly drainDeps: DrainDeps;
  /** Starts the drainer; exposed so tests and the idle benchmark can count its runs. */
  readonly drainer: DrainScheduler;

  constructor(private readonly parts: RuntimeParts) {
    const { registry, store, bucket, warehousePrefix, logger } = parts;
    this.drainDeps = {
      registry: (parts.drainRegistry ?? registry).client,
      route: wakes,
      // A table's changes of one pass travel as one message per component.
      pack: true,
      queues: parts.componentQueues,
      deadLetterQueues: parts.deadLetterQueues ?? {},
      logger: logger.child({ fn: 'drain' }),
      ...(parts.drainLimits ? { limits: parts.drainLimits } : {}),
    };
    this.drainer = this.drainScheduler();
    const register = createRegisterHandler({
      registry,
      store,
      bucket,
      warehousePrefix,
      logger: logger.child({ fn: 'register' }),
      ...(parts.verifyData === undefined ? {} : { verifyData: parts.verifyData }),
    });
    this.mappings.push(
      this.mapping('register', parts.registrationQueue, register, parts.registrationPollers ?? 1),
    );
    for (const component of parts.components) {
      const queue = parts.componentQueues[component.name];
      if (!queue) continue;
      const handler = createComponentHandler(component, logger.child({ fn: component.name }));
      this.mappings.push(this.mapping(component.name, queue, handler));
    }
  }

  start(known?: ReadonlyMap<string, string>): void {
    if (this.running) return;
    this.running = true;
    for (const mapping of this.mappings) mapping.start();
    // A start may follow a crash: work the previous run left (pending files no event will
    // announce again, claims of dead committers) is found by each component's refresh.
    this.startupRefresh = Promise.all(
      this.parts.components.map((component) =>
        component.onRefresh().catch((error: unknown) => {
          this.parts.logger.warn(
            { component: component.name, err: errorMessage(error) },
            'start-up refresh failed',
          );
        }),
      ),
    ).then(() => {
      this.startupDone = true;
    });
    this.drainer.start();
    for (const tick of this.parts.ticks ?? []) {
      const timer = setInterval(() => {
        tick
          .run()
          .catch((error: unknown) => {
            this.parts.logger.error({ tick: tick.name, err: errorMessage(error) }, 'scheduled tick failed');
          })
          .finally(() => void this.drainer.nudge());
      }, tick.everyMs);
      timer.unref();
      this.tickTimers.push(timer);
    }
    if (this.parts.watchDir || this.parts.scanWarehouse) {
      this.watcher = new WarehouseWatcher({
        store: this.parts.store,
        bucket: this.parts.bucket,
        keyPrefix: this.parts.warehousePrefix === '' ? '' : `${this.parts.warehousePrefix}/`,
        ...(this.parts.watchDir ? { watchDir: this.parts.watchDir } : {}),
        logger: this.parts.logger.child({ fn: 'watcher' }),
        emit: (changes) => this.notify(changes),
        ...(known ? { known } : {}),
        ...(this.parts.scanIntervalMs ? { scanIntervalMs: this.parts.scanIntervalMs } : {}),
      });
      this.watcher.start();
      const deadLetter = this.parts.registrationDeadLetter;
      if (deadLetter) {
        const timer = setInterval(
          () => void this.announceAgain(deadLetter),
          this.parts.scanIntervalMs ?? 5_000,
        );
        timer.unref();
        this.tickTimers.push(timer);
      }
    }
  }

  /**
   * Registration that failed every receive (a registry busy for long, say) is not the file's
   * fault: the watcher forgets those keys and announces them again. A file astha cannot read is
   * rejected with its reason by registration itself and never lands here.
   */
  private async announceAgain(deadLetter: Queue): Promise<void> {
    try {
      const messages = await deadLetter.receive({ maxMessages: 10 });
      if (messages.length === 0) return;
      const keys = messages.flatMap((m) => parseS3Notification(m.body).map((change) => change.key));
      this.parts.logger.warn({ files: keys.length }, 'registration gave up on files; announcing them again');
      this.watcher?.forget(keys);
      for (const message of messages) await deadLetter.ack(message.receiptHandle);
    } catch (error) {
      this.parts.logger.error({ err: errorMessage(error) }, 'could not take back failed registrations');
    }
  }

  /**
   * True when nothing is on its way to the registry: the start-up refresh is done, the warehouse
   * has been scanned once (embedded default), and no queue holds a message, visible or in
   * flight. Checked before the registry's own backlog, in that order: a message leaves its
   * queue only after its handler's registry writes, so quiet queues then a settled registry
   * mean nothing is left to do.
   */
  async isQuiet(): Promise<boolean> {
    if (!this.running || !this.startupDone) return false;
    if (this.watcher && !this.watcher.scanned) return false;
    const queues = [this.parts.registrationQueue, ...Object.values(this.parts.componentQueues)];
    for (const queue of queues) {
      const stats = await queue.stats();
      if (stats.visible + stats.inFlight > 0) return false;
    }
    return true;
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.tickTimers.splice(0)) clearInterval(timer);
    await this.watcher?.stop();
    await this.startupRefresh;
    await Promise.all(this.mappings.map((m) => m.stop()));
    await this.drainer.stop();
  }

  /** Puts S3-shaped notifications on the registration queue, as S3 would. */
  async notify(changes: readonly ObjectChange[]): Promise<void> {
    const messages = changes.map((change, i) => ({ id: String(i), body: formatS3Notification(change) }));
    const result = await this.parts.registrationQueue.sendBatch(messages);
    if (result.failed.length > 0) {
      throw new Error(`could not queue ${result.failed.length} notifications: ${result.failed[0]?.message}`);
    }
  }

  private mapping(
    name: string,
    queue: Queue,
    handler: ConstructorParameters<typeof EventSourceMapping>[0]['handler'],
    pollers = 1,
  ): EventSourceMapping {
    // After every batch, as the deployed functions' drainNudge middleware does.
    const nudging: typeof handler = async (event) => {
      try {
        return await handler(event);
      } finally {
        void this.drainer.nudge();
      }
    };
    return new EventSourceMapping({
      name,
      queue,
      handler: nudging,
      logger: this.parts.logger,
      waitSeconds: 1,
      pollers,
      ...(this.parts.failedVisibilitySeconds === undefined
        ? {}
        : { failedVisibilitySeconds: this.parts.failedVisibilitySeconds }),
    });
  }

  private drainScheduler(): DrainScheduler {
    // A run shorter than the drainer's safety margin would end before its first pass; the
    // budget also bounds how long stop() waits for a run draining a long backlog.
    const margin = this.drainDeps.limits?.safetyMarginMs ?? DEFAULT_DRAIN_LIMITS.safetyMarginMs;
    const budgetMs = Math.max(LOCAL_RUN_BUDGET_MS, margin + 1_000);
    const lastHealthCheck = new Map<Component, number>();
    return new DrainScheduler({
      everyMs: this.parts.drainPeriodMs ?? LOCAL_DRAIN_SCHEDULE_MS,
      ...(this.parts.drainSleep ? { sleep: this.parts.drainSleep } : {}),
      run: async () => {
        const summary = await runFor(this.drainDeps, budgetMs, {
          whenLeased: 'exit',
          untilEmpty: true,
          lastHealthCheck,
        });
        // Out of budget with rows left: go on at once, as the Lambda handler nudges itself.
        if (summary.stopped === 'deadline') void this.drainer.nudge();
      },
      onError: (error) => this.parts.logger.error({ err: errorMessage(error) }, 'drainer invocation failed'),
    });
  }
}

/** The local safety net: catches changes another process (the CLI) wrote. */
export const LOCAL_DRAIN_SCHEDULE_MS = 10_000;
/** The longest one local drainer run may take before it hands over to the next. */
const LOCAL_RUN_BUDGET_MS = 5_000;
