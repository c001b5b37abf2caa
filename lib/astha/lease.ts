/**
 * Single flight across processes: a row in `__astha_lease` names the one drainer allowed to
 * send and delete. Acquiring is one conditional upsert (take it if free, expired or already
 * ours); a crashed holder simply stops renewing and its lease expires after `ttlMs`.
 * The delete transaction of every pass runs `fence()` first, so a drainer that lost its
 * lease (paused past expiry, someone else took over) can never delete rows.
 */
import type { Client, InStatement } from '@libsql/client';
import { type SqlCondition, writeBatch } from '../registry/writeTransaction.js';
import type { Clock } from './backoff.js';

export interface LeaseOptions {
  owner: string;
  ttlMs: number;
  clock: Clock;
  /** Lease row name; one per drained log. */
  name?: string;
}

export class Lease {
  readonly owner: string;
  readonly name: string;
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private renewedAt = 0;

  constructor(
    private readonly client: Client,
    options: LeaseOptions,
  ) {
    this.owner = options.owner;
    this.name = options.name ?? 'drain';
    this.ttlMs = options.ttlMs;
    this.clock = options.clock;
  }

  /** Takes the lease if nobody holds it or the holder's lease has expired. */
  async acquire(): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.write({
      sql: `INSERT INTO __astha_lease (name, owner, expires_at) VALUES (?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
            WHERE __astha_lease.owner = excluded.owner OR __astha_lease.expires_at <= ?`,
      args: [this.name, this.owner, now + this.ttlMs, now],
    });
    if (result.rowsAffected === 1) this.renewedAt = now;
    return result.rowsAffected === 1;
  }

  /** Polls `acquire` every `intervalMs` until it succeeds or `deadline` passes. */
  async acquireBefore(deadline: number, intervalMs: number): Promise<boolean> {
    for (;;) {
      if (await this.acquire()) return true;
      if (this.clock.now() + intervalMs >= deadline) return false;
      await this.clock.sleep(intervalMs);
    }
  }

  /** Extends the lease if still ours; false means another drainer has taken over. */
  async renew(): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.write(this.fence(now));
    if (result.rowsAffected === 1) this.renewedAt = now;
    return result.rowsAffected === 1;
  }

  /** Renews only when a third of the TTL has gone by, to keep idle polls cheap. */
  async renewIfDue(): Promise<boolean> {
    if (this.clock.now() - this.renewedAt < this.ttlMs / 3) return true;
    return this.renew();
  }

  /**
   * The statement that both checks ownership and extends the lease; run it first inside a
   * write transaction and abort when it changes no row.
   */
  fence(now = this.clock.now()): InStatement {
    return {
      sql: 'UPDATE __astha_lease SET expires_at = ? WHERE name = ? AND owner = ?',
      args: [now + this.ttlMs, this.name, this.owner],
    };
  }

  /**
   * A condition true only while the lease is ours: guards the other statements of a batch that
   * starts with `fence()`, so a drainer that lost the lease changes nothing.
   */
  held(): SqlCondition {
    return {
      sql: 'EXISTS (SELECT 1 FROM __astha_lease WHERE name = ? AND owner = ?)',
      args: [this.name, this.owner],
    };
  }

  /**
   * One statement as a busy-safe write batch (the local driver's busy timeout is short): one
   * request, so a remote registry's write lock is held only while the server runs it.
   */
  private async write(statement: InStatement) {
    const [result] = await writeBatch(this.client, [statement]);
    return result!;
  }

  markRenewed(now: number): void {
    this.renewedAt = now;
  }

  /** Lets the next drainer start at once instead of waiting for expiry. */
  async release(): Promise<void> {
    await this.write({
      sql: 'UPDATE __astha_lease SET expires_at = 0 WHERE name = ? AND owner = ?',
      args: [this.name, this.owner],
    });
  }
}
