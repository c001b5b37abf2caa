/**
 * What starts the drainer in the local runtime, as nudges and the EventBridge schedule do in
 * AWS: a run when a function that wrote changes nudges it (in-process), and one every
 * `everyMs` as the safety net (changes written by another process, e.g. the CLI). A nudge
 * that arrives during a run makes one more run right after it, so no change waits for the
 * schedule; with nothing happening, only the schedule's runs happen.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { DrainNudger } from './nudge.js';

export interface DrainSchedulerOptions {
  /** One drainer invocation (`runFor` with `untilEmpty`). */
  run: () => Promise<unknown>;
  /** Safety-net period. */
  everyMs: number;
  onError: (error: unknown) => void;
  /** Waits `ms` unless aborted first; the idle benchmark passes a simulated clock's. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export class DrainScheduler implements DrainNudger {
  /** Runs started so far (the idle benchmark counts them). */
  runs = 0;
  private nudged = false;
  private running = false;
  private waiting: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: DrainSchedulerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.cycle();
  }

  async nudge(): Promise<void> {
    this.nudged = true;
    this.waiting?.abort();
  }

  /** Resolves once the run in flight (if any) has finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.waiting?.abort();
    await this.loop;
  }

  private async cycle(): Promise<void> {
    while (this.running) {
      this.nudged = false;
      this.runs += 1;
      try {
        await this.options.run();
      } catch (error) {
        this.options.onError(error);
      }
      // Yield to timers and I/O even when nudged (a local libSQL client answers without a
      // macrotask, so back-to-back runs would starve the process).
      await sleepFor(1);
      if (!this.nudged && this.running) await this.waitForNudge();
    }
  }

  private async waitForNudge(): Promise<void> {
    const controller = new AbortController();
    this.waiting = controller;
    const sleep = this.options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, { signal }));
    await sleep(this.options.everyMs, controller.signal).catch((error: unknown) => {
      if (!controller.signal.aborted) throw error;
    });
    this.waiting = undefined;
  }
}
