/**
 * A libSQL client whose operations run one at a time, in call order; a transaction holds the
 * turn from `transaction()` until it commits, rolls back or closes.
 *
 * For `file:` registries, shared by a whole process over one connection (registryClient.ts):
 * the driver's own pool refuses (TRANSACTION_ACTIVE) instead of waiting when its connection is
 * held by a transaction, and extra connections would contend for the file lock synchronously.
 * Queueing here lets the drainer, registration and reads of one process interleave safely.
 * Do not call the client from inside your own open transaction: that call waits for the turn
 * the transaction holds. Use the transaction.
 */
import type {
  Client,
  InArgs,
  InStatement,
  Replicated,
  ResultSet,
  Transaction,
  TransactionMode,
} from '@libsql/client';
import { isBusy } from './writeTransaction.js';

export class SerialClient implements Client {
  readonly #inner: Client;
  #tail: Promise<void> = Promise.resolve();

  constructor(inner: Client) {
    this.#inner = inner;
  }

  get closed(): boolean {
    return this.#inner.closed;
  }

  get protocol(): string {
    return this.#inner.protocol;
  }

  /** Waits for the turn; the returned function gives it back (idempotent). */
  async #turn(): Promise<() => void> {
    let give: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => {
      give = resolve;
    });
    const previous = this.#tail;
    this.#tail = previous.then(() => mine);
    await previous;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      give();
    };
  }

  async #serially<T>(work: () => Promise<T>): Promise<T> {
    const done = await this.#turn();
    try {
      return await work();
    } catch (error) {
      this.#recoverFrom(error);
      throw error;
    } finally {
      done();
    }
  }

  /**
   * The driver leaves a statement that failed with SQLITE_BUSY un-reset, and SQLite then refuses
   * every later COMMIT on that connection ("SQL statements in progress"). Nothing else is using
   * the connection while this client holds the turn, so a fresh one is opened instead.
   */
  #recoverFrom(error: unknown): void {
    if (isBusy(error)) this.#inner.reconnect();
  }

  execute(stmt: InStatement): Promise<ResultSet>;
  execute(sql: string, args?: InArgs): Promise<ResultSet>;
  execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
    return this.#serially(() =>
      typeof stmtOrSql === 'string' ? this.#inner.execute(stmtOrSql, args) : this.#inner.execute(stmtOrSql),
    );
  }

  batch(stmts: Array<InStatement | [string, InArgs?]>, mode?: TransactionMode): Promise<ResultSet[]> {
    return this.#serially(() => this.#inner.batch(stmts, mode));
  }

  migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    return this.#serially(() => this.#inner.migrate(stmts));
  }

  executeMultiple(sql: string): Promise<void> {
    return this.#serially(() => this.#inner.executeMultiple(sql));
  }

  sync(): Promise<Replicated> {
    return this.#serially(() => this.#inner.sync());
  }

  async transaction(mode?: TransactionMode): Promise<Transaction> {
    const done = await this.#turn();
    try {
      return heldTransaction(await this.#inner.transaction(mode), (failure) => {
        if (failure !== undefined) this.#recoverFrom(failure);
        done();
      });
    } catch (error) {
      this.#recoverFrom(error);
      done();
      throw error;
    }
  }

  close(): void {
    this.#inner.close();
  }

  reconnect(): void {
    this.#inner.reconnect();
  }
}

/**
 * The transaction, giving the client's turn back once it is over, with the busy error it met
 * (if any) so the client can replace the connection first.
 */
function heldTransaction(tx: Transaction, end: (busy: unknown) => void): Transaction {
  let busy: unknown;
  let ended = false;
  const finish = () => {
    if (ended) return;
    ended = true;
    end(busy);
  };
  const watch = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (isBusy(error)) busy = error;
      throw error;
    } finally {
      if (tx.closed) finish();
    }
  };
  return {
    execute: (stmt: InStatement) => watch(() => tx.execute(stmt)),
    batch: (stmts: InStatement[]) => watch(() => tx.batch(stmts)),
    executeMultiple: (sql: string) => watch(() => tx.executeMultiple(sql)),
    commit: () => watch(() => tx.commit()),
    rollback: () => watch(() => tx.rollback()),
    close: () => {
      tx.close();
      finish();
    },
    get closed() {
      return tx.closed;
    },
  };
}
