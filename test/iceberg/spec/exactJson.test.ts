import { describe, expect, it } from 'vitest';
import { parseJson, stringifyJson } from '../../../lib/iceberg/spec/exactJson.js';

describe('exact JSON', () => {
  it('keeps integers above 2^53 exact', () => {
    const text = '{"id":9007199254740993,"neg":-9223372036854775808,"small":42,"f":1.5,"e":1e3}';
    const value = parseJson(text);
    expect(value).toEqual({ id: 9007199254740993n, neg: -9223372036854775808n, small: 42, f: 1.5, e: 1000 });
    expect(stringifyJson(value, 0)).toBe(
      '{"id":9007199254740993,"neg":-9223372036854775808,"small":42,"f":1.5,"e":1000}',
    );
  });

  it('parses strings with escapes, arrays, literals and nesting', () => {
    const text = ' { "a" : [ true , false , null , "q\\"\\u00e9\\\\" ] , "b" : { } , "c" : [ ] } ';
    expect(parseJson(text)).toEqual({ a: [true, false, null, 'q"é\\'], b: {}, c: [] });
  });

  it('pretty prints like JSON.stringify for ordinary values', () => {
    const value = { a: [1, { b: 'x' }], c: {}, d: [] };
    expect(stringifyJson(value)).toBe(JSON.stringify(value, null, 2));
  });

  it.each(['{"a":1,}', '[1 2]', '{"a"}', 'tru', '"open', '{"a":1} x', '01'])('rejects %s', (text) => {
    expect(() => parseJson(text)).toThrow(/invalid JSON at offset/);
  });

  it('refuses non-finite numbers', () => {
    expect(() => stringifyJson({ a: Number.NaN })).toThrow(/cannot write NaN/);
  });
});
