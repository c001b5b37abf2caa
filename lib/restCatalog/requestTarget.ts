/**
 * Turning what arrives on the wire into names: path segments and query values are
 * percent-decoded strictly (bytes that are not UTF-8 are a 400, never a replacement character),
 * and a namespace path parameter is split on the unit separator 0x1F (`%1F`), the spec's default
 * and the only separator astha advertises.
 */
import { badRequest } from './catalogError.js';

export const NAMESPACE_SEPARATOR = '\u001f';
const MAX_NAME_LENGTH = 1024;

/** One decoded component; a literal `+` stays `+` in paths, means space in queries. */
function decode(raw: string, what: string, plusIsSpace: boolean): string {
  try {
    return decodeURIComponent(plusIsSpace ? raw.replaceAll('+', ' ') : raw);
  } catch {
    throw badRequest(`${what} is not percent-encoded UTF-8`);
  }
}

/** The path's segments, each decoded on its own (so `%2F` inside a name does not split it). */
export function pathSegments(rawPath: string): string[] {
  const path = rawPath.split('?')[0] ?? '';
  return path
    .split('/')
    .filter((segment, i, all) => segment !== '' || (i > 0 && i < all.length - 1))
    .map((segment) => decode(segment, 'the path', false));
}

/** The query string as name → first value. */
export function parseQuery(rawQuery: string): Map<string, string> {
  const query = new Map<string, string>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(eq < 0 ? pair : pair.slice(0, eq), 'a query parameter', true);
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1), `query parameter ${name}`, true);
    if (!query.has(name)) query.set(name, value);
  }
  return query;
}

/** A namespace parameter (already decoded) as its levels; empty levels are malformed. */
export function namespaceLevels(value: string): string[] {
  const levels = value.split(NAMESPACE_SEPARATOR);
  if (levels.some((level) => level === '')) {
    throw badRequest(`malformed namespace ${JSON.stringify(value)}: empty level`);
  }
  if (levels.some((level) => level.length > MAX_NAME_LENGTH)) throw badRequest('namespace name too long');
  return levels;
}

export function tableName(value: string): string {
  if (value === '') throw badRequest('empty table name');
  if (value.length > MAX_NAME_LENGTH) throw badRequest('table name too long');
  return value;
}
