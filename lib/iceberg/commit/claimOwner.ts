/**
 * Who holds a commit claim, recorded with it so recovery need not wait out the stale age
 * (DESIGN.md, "Commit protocol" step 5):
 * - a local process records its host, pid and the kernel's start time of that pid; a claim
 *   whose owner ran on this host and is no longer running (or whose pid now belongs to a newer
 *   process) is dead at once;
 * - a Lambda cannot be looked at from elsewhere, but cannot outlive its timeout: its claims
 *   carry that bound, and are dead once it has passed (plus a margin for a request in flight).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { processAlive, processStart } from '../../processLiveness.js';

export interface ClaimOwner {
  /** Recorded with the claim: `local:<host>:<pid>:<start>` or `fn:<name>:<random>`. */
  token: string;
  /** Longest the owner can run after claiming (a Lambda's timeout); undefined: unbounded. */
  lifetimeMs?: number;
}

/** A request sent just before a Lambda's timeout may still land this long after it. */
export const IN_FLIGHT_MARGIN_MS = 30_000;

let processOwner: ClaimOwner | undefined;

/** This process, as a local owner (the default of every committer). */
export function localProcessOwner(): ClaimOwner {
  processOwner ??= { token: `local:${hostname()}:${process.pid}:${processStart(process.pid) ?? ''}` };
  return processOwner;
}

/** A function invocation environment that lives at most `timeoutMs` per invocation. */
export function functionOwner(name: string, timeoutMs: number): ClaimOwner {
  return { token: `fn:${name}:${randomBytes(6).toString('hex')}`, lifetimeMs: timeoutMs };
}

/** When a claim taken at `claimedAtMs` is dead at the latest, or undefined when only its age tells. */
export function claimExpiry(owner: ClaimOwner, claimedAtMs: number): number | undefined {
  return owner.lifetimeMs === undefined ? undefined : claimedAtMs + owner.lifetimeMs + IN_FLIGHT_MARGIN_MS;
}

/**
 * True when the token names a local process on this host that is no longer running. Anything
 * else (another host, a function, an unreadable token) is not judged here: false.
 */
export function ownerIsGone(token: string): boolean {
  const match = /^local:(.*):(\d+):(\d*)$/.exec(token);
  if (!match || match[1] !== hostname()) return false;
  const pid = Number(match[2]);
  if (!processAlive(pid)) return true;
  // The pid is in use: by the owner, or by a newer process that got the same number.
  const start = match[3];
  return start !== '' && processStart(pid) !== undefined && processStart(pid) !== start;
}
