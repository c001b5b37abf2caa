/**
 * The REST catalog over node:http, for `astha serve` and `astha start`. Loopback only unless a
 * bearer token is configured: listening on any other address without one is refused, never
 * silently open. The token is compared in constant time and never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../config.js';
import type { Logger } from '../log.js';
import { CatalogError, errorBody } from './catalogError.js';
import type { CatalogResponse, RestCatalog } from './restCatalog.js';

export interface CatalogServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Required when `host` is not a loopback address. */
  token?: string;
  catalog: RestCatalog;
  logger: Logger;
}

export interface CatalogServer {
  /** `http://host:port`: what engines set as the catalog URI. */
  readonly uri: string;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export async function startCatalogServer(options: CatalogServerOptions): Promise<CatalogServer> {
  const { host, token, catalog, logger } = options;
  if (!isLoopback(host) && !token) {
    throw new ConfigError(
      `the catalog listens on ${host} only with a bearer token: set ASTHA_CATALOG_TOKEN, or keep the default 127.0.0.1`,
    );
  }
  const expected = token ? digest(token) : undefined;
  const server = createServer((req, res) => {
    req.resume();
    void answer(req, res, catalog, expected).catch((error: unknown) => {
      logger.error({ err: String(error) }, 'catalog response failed');
      res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    uri: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  catalog: RestCatalog,
  expected: Buffer | undefined,
): Promise<void> {
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const response =
    expected && !authorized(req.headers.authorization, expected)
      ? unauthorized(method)
      : await catalog({
          method,
          path: q < 0 ? url : url.slice(0, q),
          query: q < 0 ? '' : url.slice(q + 1),
          header: (name) => {
            const value = req.headers[name];
            return Array.isArray(value) ? value.join(', ') : value;
          },
        });
  const gzip = response.gzipBody !== undefined && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const body =
    method === 'HEAD' || response.body === undefined
      ? undefined
      : gzip
        ? response.gzipBody?.()
        : response.body;
  const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(response.status, {
    ...response.headers,
    ...(response.gzipBody ? { vary: 'accept-encoding' } : {}),
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    ...(bytes ? { 'content-length': String(bytes.length) } : {}),
  });
  res.end(bytes);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!.trim()), expected);
}

function unauthorized(method: string): CatalogResponse {
  const error = new CatalogError(401, 'NotAuthorizedException', 'a bearer token is required');
  return {
    status: 401,
    headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
    ...(method === 'HEAD' ? {} : { body: errorBody(error) }),
  };
}
