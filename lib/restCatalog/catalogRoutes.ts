/**
 * Every route astha answers, in one table: the read routes it serves (advertised in
 * `/v1/config` `endpoints`, spelled exactly as the spec writes them, `{prefix}` included even
 * though astha uses none, because clients compare the strings) and the write routes it refuses
 * with the status the spec lists for refusing each (406 where the route has it, else 403).
 */

export type ReadRoute =
  | 'config'
  | 'listNamespaces'
  | 'loadNamespace'
  | 'namespaceExists'
  | 'listTables'
  | 'loadTable'
  | 'tableExists'
  | 'listViews'
  | 'loadView'
  | 'viewExists';

interface RouteEntry {
  method: string;
  /** Segments after `/v1`; `{namespace}` and `{table}` capture one segment each. */
  path: readonly string[];
  /** Advertised in `endpoints` (views are not served: their routes answer "none here"). */
  advertised?: boolean;
}

const NS = ['namespaces', '{namespace}'];
const TABLE = [...NS, 'tables', '{table}'];
const VIEW = [...NS, 'views', '{table}'];

export const READ_ROUTES: Readonly<Record<ReadRoute, RouteEntry>> = {
  config: { method: 'GET', path: ['config'] },
  listNamespaces: { method: 'GET', path: ['namespaces'], advertised: true },
  loadNamespace: { method: 'GET', path: NS, advertised: true },
  namespaceExists: { method: 'HEAD', path: NS, advertised: true },
  listTables: { method: 'GET', path: [...NS, 'tables'], advertised: true },
  loadTable: { method: 'GET', path: TABLE, advertised: true },
  tableExists: { method: 'HEAD', path: TABLE, advertised: true },
  listViews: { method: 'GET', path: [...NS, 'views'] },
  loadView: { method: 'GET', path: VIEW },
  viewExists: { method: 'HEAD', path: VIEW },
};

/** Write routes of the spec, and the status that refuses each. */
export const WRITE_ROUTES: readonly (RouteEntry & { status: 403 | 406 })[] = [
  { method: 'POST', path: ['namespaces'], status: 406 },
  { method: 'DELETE', path: NS, status: 403 },
  { method: 'POST', path: [...NS, 'properties'], status: 406 },
  { method: 'POST', path: [...NS, 'tables'], status: 403 },
  { method: 'POST', path: [...NS, 'register'], status: 403 },
  { method: 'POST', path: TABLE, status: 403 },
  { method: 'DELETE', path: TABLE, status: 403 },
  { method: 'POST', path: [...TABLE, 'metrics'], status: 403 },
  { method: 'POST', path: [...TABLE, 'plan'], status: 406 },
  { method: 'POST', path: ['tables', 'rename'], status: 406 },
  { method: 'POST', path: ['transactions', 'commit'], status: 403 },
  { method: 'POST', path: [...NS, 'views'], status: 403 },
  { method: 'POST', path: VIEW, status: 403 },
  { method: 'DELETE', path: VIEW, status: 403 },
  { method: 'POST', path: ['views', 'rename'], status: 406 },
  { method: 'POST', path: [...NS, 'register-view'], status: 403 },
];

/** The `endpoints` list of `/v1/config`. */
export const ENDPOINTS: readonly string[] = Object.values(READ_ROUTES)
  .filter((route) => route.advertised)
  .map((route) => `${route.method} /v1/{prefix}/${route.path.join('/')}`);

export interface RouteMatch {
  namespace?: string;
  table?: string;
}

/** Matches segments after `/v1` against a route's path; captures are still undecoded names. */
export function matchPath(pattern: readonly string[], segments: readonly string[]): RouteMatch | undefined {
  if (pattern.length !== segments.length) return undefined;
  const match: RouteMatch = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    const got = segments[i]!;
    if (want === '{namespace}') match.namespace = got;
    else if (want === '{table}') match.table = got;
    else if (want !== got) return undefined;
  }
  return match;
}

export type Resolved =
  | { kind: 'read'; route: ReadRoute; match: RouteMatch }
  | { kind: 'write'; status: 403 | 406 }
  | { kind: 'none'; pathKnown: boolean };

export function resolveRoute(method: string, segments: readonly string[]): Resolved {
  let pathKnown = false;
  for (const [route, entry] of Object.entries(READ_ROUTES) as [ReadRoute, RouteEntry][]) {
    const match = matchPath(entry.path, segments);
    if (!match) continue;
    pathKnown = true;
    if (entry.method === method) return { kind: 'read', route, match };
  }
  for (const entry of WRITE_ROUTES) {
    if (!matchPath(entry.path, segments)) continue;
    pathKnown = true;
    if (entry.method === method) return { kind: 'write', status: entry.status };
  }
  return { kind: 'none', pathKnown };
}
