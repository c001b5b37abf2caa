/**
 * Coalesces a level-triggered component's looks at a table by change-log position. A change
 * and its `__cdc_log` row commit together, so a look that starts after reading the log's
 * highest id N sees every change up to N: an event with id ≤ N arriving after that look
 * finished (a backlog of triggers for the same table) needs no look of its own. Positions,
 * unlike clocks, need no margin for skew between the registry and the component.
 */
import type { Client } from '@libsql/client';

/** The highest `__cdc_log` id ever assigned (AUTOINCREMENT keeps it after the drainer deletes rows). */
export async function logPosition(client: Client): Promise<number> {
  const result = await client.execute("SELECT seq FROM sqlite_sequence WHERE name = '__cdc_log'");
  return Number(result.rows[0]?.seq ?? 0);
}

export class LookCoalescer {
  /** Per table: the log position the last complete look had seen. */
  private readonly covered = new Map<number, number>();

  constructor(private readonly client: Client) {}

  /** Whether a complete look that started after change `eventId` has finished. */
  seen(tableId: number, eventId: number): boolean {
    return eventId <= (this.covered.get(tableId) ?? 0);
  }

  /**
   * Runs `look`; when it reports it left nothing behind (`true`), changes up to the position
   * read before it count as seen. A failed or partial look leaves them to trigger again.
   */
  async look(tableId: number, look: () => Promise<boolean>): Promise<void> {
    const position = await logPosition(this.client);
    if (!(await look())) return;
    this.covered.set(tableId, Math.max(position, this.covered.get(tableId) ?? 0));
  }
}
