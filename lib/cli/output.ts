/**
 * How the CLI talks to people: aligned tables and plain lines on stdout, `--json` for
 * programs, progress on stderr (a redrawn line on a terminal, a line every few seconds
 * otherwise), one-line errors.
 */
export interface Output {
  json: boolean;
  line(text?: string): void;
  data(value: unknown): void;
  /** One compact JSON object per line (events of a long-running command under --json). */
  jsonLine(value: unknown): void;
  /** A remark for the person at the terminal, on stderr (never mixed into results). */
  note(text: string): void;
  table(rows: readonly Record<string, unknown>[], columns: readonly string[]): void;
  progress(text: string): void;
  done(): void;
}

/** How often progress is printed when stderr is not a terminal (a log file, CI). */
export const PROGRESS_LINE_EVERY_MS = 5_000;

const bigints = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

export function createOutput(
  json: boolean,
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): Output {
  let progressShown = false;
  let lastProgressLine = Date.now();
  return {
    json,
    line: (text = '') => {
      stdout.write(`${text}\n`);
    },
    data: (value) => {
      stdout.write(`${JSON.stringify(value, bigints, 2)}\n`);
    },
    jsonLine: (value) => {
      stdout.write(`${JSON.stringify(value, bigints)}\n`);
    },
    note: (text) => {
      stderr.write(`${text}\n`);
    },
    table: (rows, columns) => {
      stdout.write(formatTable(rows, columns));
    },
    progress: (text) => {
      if (!stderr.isTTY) {
        if (Date.now() - lastProgressLine < PROGRESS_LINE_EVERY_MS) return;
        lastProgressLine = Date.now();
        // Under --json everything astha says is JSON, progress included.
        stderr.write(json ? `${JSON.stringify({ progress: text })}\n` : `${text}\n`);
        return;
      }
      progressShown = true;
      stderr.write(`\r\u001b[2K${text}`);
    },
    done: () => {
      if (progressShown) stderr.write('\n');
      progressShown = false;
    },
  };
}

export function formatTable(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const cells = rows.map((row) =>
    columns.map((c) => (row[c] === null || row[c] === undefined ? '' : String(row[c]))),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const render = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [render(columns), render(widths.map((w) => '-'.repeat(w))), ...cells.map(render)].join('\n') + '\n';
}

/** A progress bar line: `[#####.....] 52% 5,200/10,000 files 1,234/s`. */
export function progressBar(
  done: number,
  total: number | undefined,
  startedMs: number,
  unit: string,
): string {
  const rate = Math.round(done / Math.max(0.001, (Date.now() - startedMs) / 1000));
  const counts = `${done.toLocaleString('en-US')}${total === undefined ? '' : `/${total.toLocaleString('en-US')}`} ${unit} ${rate.toLocaleString('en-US')}/s`;
  if (total === undefined || total === 0) return counts;
  const width = 24;
  const filled = Math.min(width, Math.round((done / total) * width));
  const percent = Math.min(100, Math.floor((done / total) * 100));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}% ${counts}`;
}
