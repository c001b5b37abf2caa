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
    } finally {
      done();
    }
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
      return heldTransaction(await this.#inner.transaction(mode), done);
    } catch (error) {
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

/** The transaction, giving the client's turn back once it is over. */
function heldTransaction(tx: Transaction, done: () => void): Transaction {
  const settle = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } finally {
      if (tx.closed) done();
    }
  };
  return {
    execute: (stmt: InStatement) => tx.execute(stmt),
    batch: (stmts: InStatement[]) => tx.batch(stmts),
    executeMultiple: (sql: string) => tx.executeMultiple(sql),
    commit: () => settle(() => tx.commit()),
    rollback: () => settle(() => tx.rollback()),
    close: () => {
      tx.close();
      done();
    },
    get closed() {
      return tx.closed;
    },
  };
}
