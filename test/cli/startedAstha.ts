/**
 * A running `astha start` (or any long-running command) for tests: its output so far, waiting
 * for a line to appear, signals, and waiting for it to exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface Started {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output (stdout and stderr together) matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code, or undefined if it is still running after timeoutMs. */
  exited(timeoutMs: number): Promise<number | null | undefined>;
}

export function startProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; stdin?: 'pipe' | 'ignore' },
): Started {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text);
          if (!match) return;
          cleanup();
          resolve(match);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms; output so far:\n${text}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
    exited: (timeoutMs) =>
      Promise.race([closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs))]),
  };
}
