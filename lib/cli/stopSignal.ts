/**
 * When a long-running command should stop: SIGINT (Ctrl-C), SIGTERM, SIGHUP, or the parent
 * process going away (`npx astha start` killed by SIGTERM: npm's shell dies and this process
 * would be orphaned and run on). A second Ctrl-C while stopping quits at once.
 */
import type { CliContext } from './context.js';

export interface StopSignal {
  signal: AbortSignal;
  /** Settles when a stop was asked for (at once if one already was). */
  stopped: Promise<void>;
  dispose(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function stopSignal(ctx: CliContext, parentCheckMs = 1_000): StopSignal {
  const controller = new AbortController();
  const stopped = new Promise<void>((resolve) => {
    if (controller.signal.aborted) resolve();
    else controller.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const onSignal = (name: string) => {
    if (controller.signal.aborted) {
      if (name === 'SIGINT') process.exit(130);
      return;
    }
    if (!ctx.out.json) ctx.out.note(`stopping (${name})`);
    controller.abort();
  };
  for (const name of SIGNALS) process.on(name, onSignal);
  const parent = process.ppid;
  const orphanCheck = setInterval(() => {
    if (process.ppid !== parent) onSignal('parent process gone');
  }, parentCheckMs);
  orphanCheck.unref();
  return {
    signal: controller.signal,
    stopped,
    dispose: () => {
      clearInterval(orphanCheck);
      for (const name of SIGNALS) process.off(name, onSignal);
    },
  };
}
