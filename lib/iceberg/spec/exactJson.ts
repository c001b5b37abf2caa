import { IcebergError } from '../icebergError.js';

/**
 * JSON with exact 64-bit integers. Iceberg snapshot ids are random longs, usually above
 * 2^53, and `JSON.parse` would silently round them (Node 20 has no `JSON.rawJSON`).
 * Integers that do not fit a double exactly parse as `bigint`; `bigint` values stringify
 * as plain JSON integers. Everything else behaves like the built-in JSON.
 */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

export function parseJson(text: string): JsonValue {
  const parser = new Parser(text);
  const value = parser.value();
  parser.skipWhitespace();
  if (parser.pos !== text.length) parser.fail('unexpected trailing characters');
  return value;
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(why: string): never {
    throw new IcebergError('invalid_metadata', `invalid JSON at offset ${this.pos}: ${why}`);
  }

  skipWhitespace(): void {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.exec(this.text);
    this.pos = WHITESPACE.lastIndex;
  }

  value(): JsonValue {
    this.skipWhitespace();
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    return this.fail(c === undefined ? 'unexpected end' : `unexpected ${JSON.stringify(c)}`);
  }

  private expect(c: string): void {
    this.skipWhitespace();
    if (this.text[this.pos] !== c) this.fail(`expected ${JSON.stringify(c)}`);
    this.pos++;
  }

  /** True and consumes `c` when it comes next. */
  private accept(c: string): boolean {
    this.skipWhitespace();
    if (this.text[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  private object(): JsonObject {
    this.expect('{');
    const result: JsonObject = {};
    if (this.accept('}')) return result;
    do {
      this.skipWhitespace();
      const key = this.string();
      this.expect(':');
      result[key] = this.value();
    } while (this.accept(','));
    this.expect('}');
    return result;
  }

  private array(): JsonValue[] {
    this.expect('[');
    const result: JsonValue[] = [];
    if (this.accept(']')) return result;
    do result.push(this.value());
    while (this.accept(','));
    this.expect(']');
    return result;
  }

  private string(): string {
    if (this.text[this.pos] !== '"') this.fail('expected a string');
    let end = this.pos + 1;
    while (end < this.text.length && this.text[end] !== '"') end += this.text[end] === '\\' ? 2 : 1;
    if (end >= this.text.length) this.fail('unterminated string');
    // The built-in parser knows every escape; hand it just the string literal.
    const literal = this.text.slice(this.pos, end + 1);
    this.pos = end + 1;
    return JSON.parse(literal) as string;
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) return this.fail('invalid number');
    this.pos = NUMBER.lastIndex;
    const isInteger = match[1] === undefined && match[2] === undefined;
    const asNumber = Number(match[0]);
    return isInteger && !Number.isSafeInteger(asNumber) ? BigInt(match[0]) : asNumber;
  }
}

/** Pretty-printed (`indent` spaces, 0 = compact) JSON; object keys keep their order, undefined members are left out. */
export function stringifyJson(value: JsonValue, indent = 2): string {
  return write(value, indent, '');
}

function write(value: JsonValue, indent: number, pad: string): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new IcebergError('invalid_metadata', `cannot write ${value} as JSON`);
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = indent > 0 ? pad + ' '.repeat(indent) : '';
  const newline = indent > 0 ? '\n' : '';
  const colon = indent > 0 ? ': ' : ':';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item) => inner + write(item, indent, inner));
    return `[${newline}${items.join(`,${newline}`)}${newline}${pad}]`;
  }
  const members = Object.entries(value)
    .filter(([, member]) => member !== undefined)
    .map(([key, member]) => `${inner}${JSON.stringify(key)}${colon}${write(member, indent, inner)}`);
  if (members.length === 0) return '{}';
  return `{${newline}${members.join(`,${newline}`)}${newline}${pad}}`;
}
