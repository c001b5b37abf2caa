/** Progress off a terminal (a log file, CI): one line every few seconds; logs on a terminal: readable lines. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { humanLine } from '../../lib/cli/logStream.js';
import { createOutput, PROGRESS_LINE_EVERY_MS } from '../../lib/cli/output.js';

function sink(isTTY: boolean) {
  const written: string[] = [];
  const stream = {
    isTTY,
    write: (text: string) => written.push(text) > 0,
  } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('progress', () => {
  it('prints a plain line every few seconds when stderr is not a terminal', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const stdout = sink(false);
    const stderr = sink(false);
    const out = createOutput(false, stdout.stream, stderr.stream);
    out.progress('10 files');
    vi.setSystemTime(1_000_000 + PROGRESS_LINE_EVERY_MS);
    out.progress('20 files');
    out.progress('21 files');
    vi.setSystemTime(1_000_000 + 2 * PROGRESS_LINE_EVERY_MS);
    out.progress('30 files');
    out.done();
    expect(stderr.written).toEqual(['20 files\n', '30 files\n']);
    expect(stdout.written).toEqual([]);
  });

  it('redraws one line on a terminal', () => {
    const stderr = sink(true);
    const out = createOutput(false, sink(false).stream, stderr.stream);
    out.progress('10 files');
    out.progress('20 files');
    out.done();
    expect(stderr.written).toEqual(['\r\u001b[2K10 files', '\r\u001b[2K20 files', '\n']);
  });
});

describe('logs on a terminal', () => {
  it('turn a pino JSON line into one readable line, and skip what the command prints itself', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2026-12-05T22:09:17.730Z',
      name: 'astha',
      fn: 'watcher',
      err: 'disk gone',
      msg: 'warehouse scan failed',
    });
    expect(humanLine(line)).toBe('22:09:17 warn  warehouse scan failed  fn=watcher err="disk gone"');
    expect(humanLine(line, new Set(['warehouse scan failed']))).toBeUndefined();
  });
});
