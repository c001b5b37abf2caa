/**
 * Where the CLI's logs go: always stderr (stdout is for results, `--json` must stay valid).
 * JSON lines when stderr is not a terminal; on a terminal, one readable line per record.
 */
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const HIDDEN = new Set(['level', 'time', 'msg', 'name']);

export interface LogStreamOptions {
  stream?: NodeJS.WriteStream;
  /** Messages not shown on a terminal because the command prints them in its own words. */
  shownElsewhere?: ReadonlySet<string>;
}

export function cliLogStream(options: LogStreamOptions = {}): DestinationStream {
  const stream = options.stream ?? process.stderr;
  if (!stream.isTTY) return { write: (line: string) => void stream.write(line) };
  return {
    write: (line: string) => {
      const text = humanLine(line, options.shownElsewhere);
      if (text !== undefined) stream.write(`${text}\n`);
    },
  };
}

/** `12:00:01 warn  file rejected  key=a/b/data/x.parquet reason="..."`; undefined to skip. */
export function humanLine(line: string, skip?: ReadonlySet<string>): string | undefined {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const msg = String(record.msg ?? '');
  if (skip?.has(msg)) return undefined;
  const time = typeof record.time === 'string' ? record.time.slice(11, 19) : '';
  const level = LEVELS[Number(record.level)] ?? String(record.level);
  const fields = Object.entries(record)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s|"/.test(v) ? v : JSON.stringify(v)}`);
  return `${time} ${level.padEnd(5)} ${msg}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}`.trimStart();
}
