/**
 * Whether a local process still runs: what lock breaking (lib/store/fsStore.ts) and claim
 * recovery (lib/iceberg/commit/claimOwner.ts) ask about an owner that recorded its pid.
 */
import { readFileSync } from 'node:fs';

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return !(error instanceof Error && 'code' in error && error.code === 'ESRCH');
  }
}

/**
 * The kernel's start time of `pid` (Linux `/proc/<pid>/stat` field 22), which tells a process
 * from a newer one that got the same pid; undefined where it cannot be read.
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
