/**
 * The structural SNAPPY and LZ4_RAW checks agree with the real decompressors: they accept every
 * stream the compressors write, and on thousands of damaged copies they reject a stream whenever
 * the decompressor fails or yields another length (nothing the real decoder refuses slips by).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compressors } from 'hyparquet-compressors';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import { describe, expect, test } from 'vitest';
import { checkLz4Raw, checkSnappy } from '../../lib/parquet/streamCheck.js';

const SIZES = [0, 1, 17, 300, 5000, 70_000];

/** Deterministic bytes with repeats (so the streams hold copies, not only literals). */
function sample(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let state = seed;
  for (let i = 0; i < size; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = i > 8 && state % 3 === 0 ? out[i - 1 - (state % 8)]! : state >>> 24;
  }
  return out;
}

/** Whether the real decoder turns `input` into exactly `length` bytes. */
function decodes(
  decode: (input: Uint8Array, length: number) => Uint8Array,
  input: Uint8Array,
  length: number,
) {
  try {
    return decode(input, length).length === length;
  } catch {
    return false;
  }
}

function agreeOnDamage(
  streams: [Uint8Array, number][],
  check: (input: Uint8Array, length: number) => void,
  decode: (input: Uint8Array, length: number) => Uint8Array,
): void {
  let rejected = 0;
  for (const [index, [stream, length]] of streams.entries()) {
    expect(() => check(stream, length)).not.toThrow();
    for (let trial = 0; trial < 400 && stream.length > 0; trial++) {
      const bad = stream.slice();
      const at = (trial * 7919 + index) % bad.length;
      bad[at] = bad[at]! ^ (1 + (trial % 255));
      let passed = true;
      try {
        check(bad, length);
      } catch {
        passed = false;
        rejected++;
      }
      if (passed)
        expect(
          decodes(decode, bad, length),
          `${index}/${trial}: ${Buffer.from(bad).toString('hex').slice(0, 200)}`,
        ).toBe(true);
    }
  }
  expect(rejected).toBeGreaterThan(100);
}

describe('structural stream checks', () => {
  test('SNAPPY: accepts what is written, never passes what hysnappy refuses', () => {
    const streams = SIZES.map((size, i): [Uint8Array, number] => [snappyCompress(sample(size, i + 1)), size]);
    agreeOnDamage(streams, checkSnappy, compressors.SNAPPY!);
    expect(() => checkSnappy(streams[3]![0], 301)).toThrow(/holds 300 bytes, expected 301/);
  });

  test('LZ4_RAW (pyarrow): accepts what is written, never passes what the decoder refuses', () => {
    const script = `import sys, json, pyarrow as pa
c = pa.Codec('lz4_raw')
print(json.dumps([c.compress(bytes.fromhex(h), asbytes=True).hex() for h in json.load(sys.stdin)]))`;
    const inputs = SIZES.map((size, i) => sample(size, i + 11));
    const run = spawnSync(join(process.cwd(), '.venv', 'bin', 'python'), ['-c', script], {
      input: JSON.stringify(inputs.map((bytes) => Buffer.from(bytes).toString('hex'))),
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const hex = JSON.parse(run.stdout) as string[];
    const streams = hex.map((h, i): [Uint8Array, number] => [
      new Uint8Array(Buffer.from(h, 'hex')),
      SIZES[i]!,
    ]);
    agreeOnDamage(streams, checkLz4Raw, compressors.LZ4_RAW!);
  });
});
