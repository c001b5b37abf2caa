import { describe, expect, it } from 'vitest';
import {
  decimalFromBytes,
  decimalToBytes,
  fromSingleValue,
  parseDecimal,
  toSingleValue,
  truncateLowerBound,
  truncateUpperBound,
} from '../../lib/iceberg/spec/singleValue.js';
import type { PrimitiveType } from '../../lib/iceberg/spec/types.js';

const hex = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replaceAll(' ', ''), 'hex'));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);

// Bytes computed by hand from Appendix D (little-endian fixed width; decimals big-endian minimal).
const golden: Array<[PrimitiveType, unknown, string]> = [
  ['boolean', false, '00'],
  ['boolean', true, '01'],
  ['int', 1, '01000000'],
  ['int', -1, 'ffffffff'],
  ['int', 2 ** 31 - 1, 'ffffff7f'],
  ['long', 1n, '0100000000000000'],
  ['long', -2n, 'feffffffffffffff'],
  ['long', 2n ** 63n - 1n, 'ffffffffffffff7f'],
  ['float', 1.5, '0000c03f'],
  ['double', -2.25, '00000000000002c0'],
  // 2017-11-16 is day 17486 = 0x444e
  ['date', 17486, '4e440000'],
  // 22:31:08 = 81068 s = 81068000000 µs = 0x12_e007_8300
  ['time', 81068000000n, '008307e012000000'],
  // 2017-11-16T22:31:08 = 1510871468000000 µs = 0x05_5e21_2d26_c300
  ['timestamp', 1510871468000000n, '00c3262d215e0500'],
  ['timestamptz', 1510871468000000n, '00c3262d215e0500'],
  ['timestamp_ns', 1510871468000000000n, '00b8695f98b1f714'],
  ['timestamptz_ns', -1n, 'ffffffffffffffff'],
  ['string', 'iceberg', '69636562657267'],
  ['string', '', ''],
  ['string', 'é€😀', 'c3a9e282acf09f9880'],
  ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 'f79c3e09677c4bbda4793f349cb785e7'],
  ['fixed[3]', Uint8Array.of(1, 2, 3), '010203'],
  ['binary', Uint8Array.of(0, 255), '00ff'],
  // decimals: unscaled value, two's complement, big-endian, fewest bytes
  ['decimal(9,2)', 0n, '00'],
  ['decimal(9,2)', 127n, '7f'],
  ['decimal(9,2)', 128n, '0080'],
  ['decimal(9,2)', 255n, '00ff'],
  ['decimal(9,2)', -1n, 'ff'],
  ['decimal(9,2)', -128n, '80'],
  ['decimal(9,2)', -129n, 'ff7f'],
  ['decimal(5,2)', '123.45', '3039'],
  ['decimal(5,2)', '-123.45', 'cfc7'],
  ['decimal(38,0)', 10n ** 18n, '0de0b6b3a7640000'],
  // -(10^37): 123 magnitude bits + sign → 16 bytes
  ['decimal(38,10)', -(10n ** 37n), 'f87a11ef2a25b926ff0bc96000000000'],
];

describe('toSingleValue / fromSingleValue', () => {
  it.each(golden)('%s %s → %s', (type, value, bytes) => {
    expect(hex(toSingleValue(type, value))).toBe(bytes);
  });

  it.each(golden)('%s round-trips %s', (type, value) => {
    const decoded = fromSingleValue(type, toSingleValue(type, value));
    if (typeof value === 'string' && type.startsWith('decimal')) {
      expect(decoded).toBe(parseDecimal(value, 2));
    } else {
      expect(decoded).toEqual(value);
    }
  });

  it('accepts safe-integer numbers for 8-byte types', () => {
    expect(hex(toSingleValue('long', 1))).toBe('0100000000000000');
    expect(hex(toSingleValue('timestamp', -1))).toBe('ffffffffffffffff');
  });

  it('rejects values that do not fit, naming them', () => {
    expect(() => toSingleValue('int', 2 ** 31)).toThrow(/2147483648 as Iceberg int/);
    expect(() => toSingleValue('int', 1.5)).toThrow(TypeError);
    expect(() => toSingleValue('long', 2n ** 63n)).toThrow(/9223372036854775808n/);
    expect(() => toSingleValue('long', 2 ** 60)).toThrow(/safe integer/);
    expect(() => toSingleValue('decimal(3,1)', '123.4')).toThrow(/more than 3 digits/);
    expect(() => toSingleValue('decimal(5,1)', '1.25')).toThrow(/decimal literal/);
    expect(() => toSingleValue('uuid', 'not-a-uuid')).toThrow(/"not-a-uuid"/);
    expect(() => toSingleValue('fixed[4]', Uint8Array.of(1))).toThrow(/4 bytes/);
    expect(() => toSingleValue('string', 3)).toThrow(/expected a string/);
    expect(() => fromSingleValue('int', Uint8Array.of(1, 2))).toThrow(/4 bytes, got 2/);
    expect(() => fromSingleValue('string', Uint8Array.of(0xff))).toThrow();
  });

  it('decimal helpers agree with each other over a range of values', () => {
    for (let v = -70000n; v <= 70000n; v += 997n) {
      expect(decimalFromBytes(decimalToBytes(v))).toBe(v);
    }
    expect(decimalFromBytes(fromHex('ffff85'))).toBe(-123n); // sign-extended, non-minimal input
    expect(parseDecimal('1.5', 3)).toBe(1500n);
    expect(parseDecimal('-.5', 1)).toBe(-5n);
    expect(parseDecimal('1.50', 1)).toBe(15n);
    expect(parseDecimal('abc', 1)).toBeUndefined();
  });
});

describe('truncateLowerBound', () => {
  it('keeps short values and cuts strings by code points, not bytes', () => {
    expect(text(truncateLowerBound('string', utf8('abc'), 16))).toBe('abc');
    expect(text(truncateLowerBound('string', utf8('abcdef'), 3))).toBe('abc');
    expect(text(truncateLowerBound('string', utf8('😀😁😂'), 2))).toBe('😀😁');
    expect(text(truncateLowerBound('string', utf8('ééé'), 2))).toBe('éé');
  });

  it('cuts binary by bytes; leaves fixed (its length is part of the type) and others alone', () => {
    expect(hex(truncateLowerBound('binary', fromHex('0102ffff'), 2))).toBe('0102');
    expect(hex(truncateLowerBound('fixed[4]', fromHex('0102ffff'), 3))).toBe('0102ffff');
    expect(hex(truncateUpperBound('fixed[4]', fromHex('0102ffff'), 3))).toBe('0102ffff');
    expect(hex(truncateLowerBound('long', fromHex('0100000000000000'), 2))).toBe('0100000000000000');
  });
});

describe('truncateUpperBound', () => {
  it('increments the last code point of the prefix', () => {
    expect(text(truncateUpperBound('string', utf8('abcdef'), 3))).toBe('abd');
    expect(text(truncateUpperBound('string', utf8('abc'), 3))).toBe('abc');
    expect(text(truncateUpperBound('string', utf8('aé€x'), 3))).toBe('aé₭'); // U+20AC → U+20AD
    expect(text(truncateUpperBound('string', utf8('a😀b'), 2))).toBe('a😁');
  });

  it('skips the surrogate range: U+D7FF becomes U+E000', () => {
    const bytes = truncateUpperBound('string', utf8('a\u{D7FF}zz'), 2);
    expect(hex(bytes)).toBe('61ee8080');
  });

  it('carries over code points that cannot be incremented, or gives up', () => {
    expect(text(truncateUpperBound('string', utf8('a\u{10FFFF}zz'), 2))).toBe('b');
    expect(truncateUpperBound('string', utf8('\u{10FFFF}\u{10FFFF}z'), 2)).toBeUndefined();
  });

  it('increments the last byte below 0xFF for binary', () => {
    expect(hex(truncateUpperBound('binary', fromHex('0102030405'), 3))).toBe('010204');
    expect(hex(truncateUpperBound('binary', fromHex('01ffff05'), 3))).toBe('02');
    expect(truncateUpperBound('binary', fromHex('ffffff05'), 3)).toBeUndefined();
    expect(hex(truncateUpperBound('binary', fromHex('0102'), 3))).toBe('0102');
  });

  it('every truncated upper bound is ≥ the original value (byte order)', () => {
    const samples = [
      'zzzzzzzzzzzzzzzzzzzz',
      'ÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ',
      '日本語のテキストはここで切られるべきです',
      'a'.repeat(40),
    ];
    for (const sample of samples) {
      const original = utf8(sample);
      const bound = truncateUpperBound('string', original, 16);
      expect(bound).toBeDefined();
      expect(Buffer.compare(Buffer.from(bound!), Buffer.from(original))).toBeGreaterThan(0);
      expect(Array.from(text(bound)!).length).toBeLessThanOrEqual(16);
    }
  });
});
