/**
 * The Iceberg REST catalog's read path, answered from the registry, independent of transport:
 * the node:http server (`astha serve`, `astha start`) and the API Gateway Lambda handler both
 * turn their request into a `CatalogRequest` and write back the `CatalogResponse`. Nothing here
 * throws to the caller: every failure is an `ErrorModel` response, and only astha's own
 * failures are 5xx (logged with their cause, answered without it).
 */
import { createHash } from 'node:crypto';
import type { Client } from '@libsql/client';
import type { AwsClientOptions } from '../config.js';
import { errorMessage } from '../errors.js';
import { parseMetadataText } from '../iceberg/commit/metadataText.js';
import type { Logger } from '../log.js';
import type { ObjectStore } from '../store/objectStore.js';
import { namespaceNamed, namespaceNames, tableNames, visibleTable } from './catalogQueries.js';
import { catalogConfig } from './catalogConfig.js';
import { badRequest, CatalogError, errorBody, noSuchNamespace, noSuchTable } from './catalogError.js';
import { type ReadRoute, type RouteMatch, resolveRoute } from './catalogRoutes.js';
import { MetadataCache, type SnapshotsMode } from './metadataCache.js';
import { page, pageRequest } from './pagination.js';
import { namespaceLevels, parseQuery, pathSegments, tableName } from './requestTarget.js';

export interface CatalogRequest {
  method: string;
  /** The request path as sent (still percent-encoded), without the query. */
  path: string;
  /** The raw query string (without `?`), or values a gateway already decoded. */
  query: string | ReadonlyMap<string, string>;
  /** Header lookup by lower-case name. */
  header(name: string): string | undefined;
}

export interface CatalogResponse {
  status: number;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** The body gzip-compressed (built once, on first call), for large LoadTable results. */
  gzipBody?: () => Buffer;
}

export interface RestCatalogOptions {
  client: Client;
  /** The warehouse store; metadata locations are URIs inside it. */
  store: ObjectStore;
  aws: Readonly<AwsClientOptions>;
  logger: Logger;
  cache?: MetadataCache;
  /** LoadTable results from this size on are offered gzip-compressed (default 64 KiB). */
  gzipFromBytes?: number;
}

export type RestCatalog = (request: CatalogRequest) => Promise<CatalogResponse>;

const READ_ONLY =
  'astha maintains its tables from the files in storage: they are read-only to other engines ' +
  '(land Parquet files under <namespace>/<table>/data/ instead)';

interface Call {
  request: CatalogRequest;
  match: RouteMatch;
  query: ReadonlyMap<string, string>;
}

export function createRestCatalog(options: RestCatalogOptions): RestCatalog {
  const { client, logger } = options;
  const cache = options.cache ?? new MetadataCache(options.store, parseMetadataText);
  const config = JSON.stringify(catalogConfig(options.store.url, options.aws));

  const handlers: Record<ReadRoute, (call: Call) => Promise<CatalogResponse>> = {
    config: async () => json(200, config),
    listNamespaces: async ({ query }) => {
      const parent = query.get('parent');
      if (parent !== undefined && parent !== '') {
        await existingNamespace(client, namespaceLevels(parent));
        return json(200, JSON.stringify({ namespaces: [], 'next-page-token': null }));
      }
      const { after, limit } = pageRequest(query);
      const names = await namespaceNames(client, after, limit === undefined ? undefined : limit + 1);
      const { items, next } = page(names, limit, (n) => n);
      return json(200, JSON.stringify({ namespaces: items.map((n) => [n]), 'next-page-token': next }));
    },
    loadNamespace: async ({ match }) => {
      const entry = await existingNamespace(client, namespaceLevels(match.namespace!));
      return json(200, JSON.stringify({ namespace: [entry.name], properties: entry.properties }));
    },
    namespaceExists: async ({ match }) => {
      await existingNamespace(client, namespaceLevels(match.namespace!));
      return { status: 204, headers: {} };
    },
    listTables: async ({ match, query }) => {
      const { name } = await existingNamespace(client, namespaceLevels(match.namespace!));
      const { after, limit } = pageRequest(query);
      const names = await tableNames(client, name, after, limit === undefined ? undefined : limit + 1);
      const { items, next } = page(names, limit, (n) => n);
      const identifiers = items.map((table) => ({ namespace: [name], name: table }));
      return json(200, JSON.stringify({ identifiers, 'next-page-token': next }));
    },
    loadTable: (call) => loadTable(call, client, cache, options.gzipFromBytes ?? GZIP_FROM_BYTES),
    tableExists: async ({ match }) => {
      await existingTable(client, match);
      return { status: 204, headers: {} };
    },
    listViews: async ({ match }) => {
      await existingNamespace(client, namespaceLevels(match.namespace!));
      return json(200, JSON.stringify({ identifiers: [], 'next-page-token': null }));
    },
    loadView: async ({ match }) => {
      throw new CatalogError(
        404,
        'NoSuchViewException',
        `View does not exist: ${match.table}; astha serves no views`,
      );
    },
    viewExists: async () => ({ status: 404, headers: {} }),
  };

  return async (request) => {
    try {
      return await dispatch(request, handlers);
    } catch (error) {
      if (error instanceof CatalogError) return failure(request, error);
      logger.error(
        { err: errorMessage(error), method: request.method, path: request.path },
        'catalog request failed',
      );
      return failure(request, new CatalogError(500, 'InternalServerError', 'the catalog could not answer'));
    }
  };
}

async function dispatch(
  request: CatalogRequest,
  handlers: Record<ReadRoute, (call: Call) => Promise<CatalogResponse>>,
): Promise<CatalogResponse> {
  const segments = pathSegments(request.path);
  if (segments[0] !== 'v1') throw new CatalogError(404, 'NotFoundException', `no route ${request.path}`);
  const resolved = resolveRoute(request.method, segments.slice(1));
  if (resolved.kind === 'write')
    throw new CatalogError(
      resolved.status,
      resolved.status === 406 ? 'UnsupportedOperationException' : 'ForbiddenException',
      READ_ONLY,
    );
  if (resolved.kind === 'none') {
    if (resolved.pathKnown)
      throw new CatalogError(405, 'BadRequestException', `${request.method} is not served on this route`);
    throw new CatalogError(404, 'NotFoundException', `no route ${request.method} /${segments.join('/')}`);
  }
  const query = typeof request.query === 'string' ? parseQuery(request.query) : request.query;
  return handlers[resolved.route]({ request, match: resolved.match, query });
}

async function existingNamespace(client: Client, levels: string[]) {
  const entry = levels.length === 1 ? await namespaceNamed(client, levels[0]!) : undefined;
  if (!entry) throw noSuchNamespace(levels);
  return entry;
}

/**
 * A table route in a namespace that does not exist answers NoSuchTable, not NoSuchNamespace:
 * Java and Spark ask for metadata tables (`db.t.snapshots`) as table `snapshots` in namespace
 * `db.t` and fall back only on NoSuchTableException.
 */
async function existingTable(client: Client, match: RouteMatch) {
  const levels = namespaceLevels(match.namespace!);
  const name = tableName(match.table!);
  const table = levels.length === 1 ? await visibleTable(client, levels[0]!, name) : undefined;
  if (!table) throw noSuchTable(levels, name);
  return table;
}

async function loadTable(
  { request, match, query }: Call,
  client: Client,
  cache: MetadataCache,
  gzipFromBytes: number,
): Promise<CatalogResponse> {
  const mode = snapshotsMode(query.get('snapshots'));
  const table = await existingTable(client, match);
  const etag = etagOf(table.metadataLocation, mode);
  if (ifNoneMatch(request.header('if-none-match'), etag)) return { status: 304, headers: { etag } };
  const cached = await cache.get(table.metadataLocation);
  const body = cached.loadTableResult(mode);
  const headers = { 'content-type': 'application/json', etag };
  if (body.length < gzipFromBytes) return { status: 200, headers, body };
  return { status: 200, headers, body, gzipBody: () => cached.loadTableResultGzip(mode) };
}

/** Below this a LoadTable result is sent as it is: compressing would cost more than it saves. */
const GZIP_FROM_BYTES = 64 * 1024;

function snapshotsMode(value: string | undefined): SnapshotsMode {
  if (value === undefined || value === '' || value === 'all') return 'all';
  if (value === 'refs') return 'refs';
  throw badRequest(`snapshots must be all or refs, got ${JSON.stringify(value.slice(0, 40))}`);
}

/** Changes whenever the metadata location changes, and differs between `all` and `refs`. */
export function etagOf(metadataLocation: string, mode: SnapshotsMode): string {
  const digest = createHash('sha256').update(`${mode}\n${metadataLocation}`).digest('base64url');
  return `"${digest.slice(0, 32)}"`;
}

/** True when the header names this exact tag (weak or strong form); `*` is not a match. */
function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

function json(status: number, body: string): CatalogResponse {
  return { status, headers: { 'content-type': 'application/json' }, body };
}

function failure(request: CatalogRequest, error: CatalogError): CatalogResponse {
  if (request.method === 'HEAD') return { status: error.status, headers: {} };
  return json(error.status, errorBody(error));
}
