/**
 * A short turn at a table's commits for a committer that keeps losing races to a busier one:
 * the compactor's replace takes several round trips per attempt while appends land every few
 * hundred milliseconds, so without a turn it loses until it gives up, and its backlog grows
 * into ever larger compactions. While a turn lasts, appends wait before they claim; it ends
 * when its holder is done, or by itself at `until_ms` (a holder that died).
 */
import type { Client } from '@libsql/client';

export interface CommitTurn {
  holder: string;
  untilMs: number;
}

const TURNS_DDL = `CREATE TABLE IF NOT EXISTS commit_turns (
  table_id INTEGER PRIMARY KEY,
  holder TEXT NOT NULL,
  until_ms INTEGER NOT NULL)`;
const turnsReady = new WeakSet<Client>();

async function ensureTurns(client: Client): Promise<void> {
  if (turnsReady.has(client)) return;
  await client.execute(TURNS_DDL);
  turnsReady.add(client);
}

/** Takes (or extends) the table's turn for `holder` until `untilMs`. */
export async function takeTurn(client: Client, tableId: number, turn: CommitTurn): Promise<void> {
  await ensureTurns(client);
  await client.execute({
    sql: 'INSERT OR REPLACE INTO commit_turns (table_id, holder, until_ms) VALUES (?, ?, ?)',
    args: [tableId, turn.holder, turn.untilMs],
  });
}

/** Ends `holder`'s turn (another holder's is left alone). */
export async function endTurn(client: Client, tableId: number, holder: string): Promise<void> {
  await ensureTurns(client);
  await client.execute({
    sql: 'DELETE FROM commit_turns WHERE table_id = ? AND holder = ?',
    args: [tableId, holder],
  });
}

/** The table's turn, if one is held and has not run out at `nowMs`. */
export async function currentTurn(
  client: Client,
  tableId: number,
  nowMs: number,
): Promise<CommitTurn | undefined> {
  await ensureTurns(client);
  const result = await client.execute({
    sql: 'SELECT holder, until_ms FROM commit_turns WHERE table_id = ? AND until_ms > ?',
    args: [tableId, nowMs],
  });
  const row = result.rows[0];
  return row ? { holder: String(row.holder), untilMs: Number(row.until_ms) } : undefined;
}

/** How often a waiting committer looks whether the turn has ended. */
const TURN_POLL_MS = 50;

/**
 * Waits while another committer holds the table's turn (`turn`, as just read), at most
 * `maxWaitMs`: returns as soon as the holder ends it or it runs out.
 */
export async function waitOutTurn(
  client: Client,
  tableId: number,
  turn: CommitTurn,
  clock: { now(): number; sleep(ms: number): Promise<void> },
  maxWaitMs: number,
): Promise<void> {
  const deadline = clock.now() + maxWaitMs;
  let current: CommitTurn | undefined = turn;
  while (current && clock.now() < deadline) {
    await clock.sleep(
      Math.max(1, Math.min(TURN_POLL_MS, current.untilMs - clock.now(), deadline - clock.now())),
    );
    current = await currentTurn(client, tableId, clock.now());
  }
}
