/**
 * Paging for the list routes. The spec: without `pageToken` every result comes in one response
 * (`next-page-token` null); an empty `pageToken` starts paging. Tokens are opaque to clients;
 * here they carry the last name returned (keyset paging, stable while tables appear).
 */
import { badRequest } from './catalogError.js';

/** Upper bound on one page, whatever `pageSize` asks for. */
export const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 100;
const TOKEN_PREFIX = 'a1.';

export interface PageRequest {
  /** Names strictly after this one; '' from the start. */
  after: string;
  /** At most this many results; undefined for all (no paging asked for). */
  limit: number | undefined;
}

export function pageRequest(query: ReadonlyMap<string, string>): PageRequest {
  const token = query.get('pageToken');
  const size = query.get('pageSize');
  const limit = size === undefined || size === '' ? undefined : pageSize(size);
  if (token === undefined) return { after: '', limit: undefined };
  return { after: token === '' ? '' : decodeToken(token), limit: limit ?? DEFAULT_PAGE_SIZE };
}

function pageSize(raw: string): number {
  if (!/^\d+$/.test(raw) || /^0+$/.test(raw)) {
    throw badRequest(`pageSize must be a positive integer, got ${JSON.stringify(raw.slice(0, 40))}`);
  }
  // A huge size is not an error: the server caps pages at its own maximum.
  return raw.length > 6 ? MAX_PAGE_SIZE : Math.min(Number(raw), MAX_PAGE_SIZE);
}

export function encodeToken(lastName: string): string {
  return TOKEN_PREFIX + Buffer.from(lastName, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  if (token.startsWith(TOKEN_PREFIX)) {
    const body = token.slice(TOKEN_PREFIX.length);
    if (/^[A-Za-z0-9_-]{1,700}$/.test(body)) {
      const name = Buffer.from(body, 'base64url').toString('utf8');
      if (encodeToken(name) === token) return name;
    }
  }
  throw badRequest('pageToken is not one this server issued');
}

/** `limit + 1` rows were read: the page and the token for the next one (null at the end). */
export function page<T>(rows: T[], limit: number | undefined, name: (row: T) => string) {
  if (limit === undefined || rows.length <= limit) return { items: rows, next: null };
  const items = rows.slice(0, limit);
  return { items, next: encodeToken(name(items[items.length - 1]!)) };
}
