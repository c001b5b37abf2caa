/**
 * The REST catalog over raw HTTP, as the spec words it: status codes and ErrorModel shapes,
 * endpoints advertised, paging, ETag / 304, write routes refused with the spec's status, and
 * callers' mistakes (unknown names, malformed namespaces, huge pageSize, encoded separators,
 * bytes that are not UTF-8) answered 4xx, never 500, never with a stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import { type CatalogServer, startCatalogServer } from '../../lib/restCatalog/catalogServer.js';
import { ENDPOINTS, WRITE_ROUTES } from '../../lib/restCatalog/catalogRoutes.js';
import { createRestCatalog } from '../../lib/restCatalog/restCatalog.js';
import { hyparquetFile, landAndCommit } from '../conformance/astha.js';
import { openWarehouse, type Warehouse } from '../conformance/warehouse.js';
import { serveWarehouse } from './catalogClients.js';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: the bodies of every route, read field by field in assertions
  json: () => any;
}

let warehouse: Warehouse;
let server: CatalogServer;

async function call(path: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(`${server.uri}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

/** Lands one hyparquet file into `ns.table` and commits it (one snapshot). */
async function commitFile(ns: string, table: string, seed: number): Promise<void> {
  const path = `${ns}/${table}/data/f-${seed}.parquet`;
  await warehouse.store.put(path, hyparquetFile(10, seed));
  await landAndCommit(warehouse, ns, table, [path]);
}

function expectError(reply: Reply, status: number, type: string): void {
  expect(reply.status, reply.text).toBe(status);
  const body = reply.json();
  expect(body).toEqual({ error: { message: expect.any(String), type, code: status } });
  expect(reply.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
}

beforeAll(async () => {
  warehouse = await openWarehouse('fs');
  for (const [i, table] of ['a', 'b', 'c', 'd', 'e'].entries()) await commitFile('sales', table, i + 1);
  await commitFile('hr', 'people', 9);
  // Registered but never committed: not visible to engines yet.
  await warehouse.store.put('sales/pending/data/x.parquet', hyparquetFile(3, 50));
  await warehouse.land(['sales/pending/data/x.parquet']);
  server = await serveWarehouse(warehouse);
}, 60_000);

afterAll(async () => {
  await server?.close();
  warehouse?.close();
});

describe('config', () => {
  it('advertises exactly the read routes, spelled as the spec does, and takes any warehouse name', async () => {
    const reply = await call('/v1/config?warehouse=some%20attach%20string');
    expect(reply.status).toBe(200);
    const body = reply.json();
    expect(body.endpoints).toEqual([
      'GET /v1/{prefix}/namespaces',
      'GET /v1/{prefix}/namespaces/{namespace}',
      'HEAD /v1/{prefix}/namespaces/{namespace}',
      'GET /v1/{prefix}/namespaces/{namespace}/tables',
      'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}',
      'HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}',
    ]);
    expect(body.endpoints).toEqual(ENDPOINTS);
    expect(body).toMatchObject({ defaults: {}, overrides: {} });
  });
});

describe('namespaces', () => {
  it('lists all in one response without pageToken, and pages from an empty pageToken', async () => {
    expect((await call('/v1/namespaces')).json()).toEqual({
      namespaces: [['hr'], ['sales']],
      'next-page-token': null,
    });
    const first = (await call('/v1/namespaces?pageToken=&pageSize=1')).json();
    expect(first.namespaces).toEqual([['hr']]);
    expect(typeof first['next-page-token']).toBe('string');
    const second = (
      await call(`/v1/namespaces?pageToken=${encodeURIComponent(first['next-page-token'])}&pageSize=1`)
    ).json();
    expect(second).toEqual({ namespaces: [['sales']], 'next-page-token': null });
  });

  it('loads one (GET 200 with properties, HEAD 204) and answers NoSuchNamespace for a missing one', async () => {
    expect((await call('/v1/namespaces/sales')).json()).toEqual({ namespace: ['sales'], properties: {} });
    expect((await call('/v1/namespaces/sales', { method: 'HEAD' })).status).toBe(204);
    expectError(await call('/v1/namespaces/nope'), 404, 'NoSuchNamespaceException');
    const head = await call('/v1/namespaces/nope', { method: 'HEAD' });
    expect([head.status, head.text]).toEqual([404, '']);
    expectError(await call('/v1/namespaces/sales%1Fa'), 404, 'NoSuchNamespaceException');
  });

  it('lists under a parent: none under an existing one, 404 for a missing one', async () => {
    expect((await call('/v1/namespaces?parent=sales')).json()).toEqual({
      namespaces: [],
      'next-page-token': null,
    });
    expect((await call('/v1/namespaces?parent=')).json().namespaces).toHaveLength(2);
    expectError(await call('/v1/namespaces?parent=nope%1Fdeeper'), 404, 'NoSuchNamespaceException');
  });
});

describe('tables', () => {
  it('lists committed tables only, paged by pageSize and token', async () => {
    const all = (await call('/v1/namespaces/sales/tables')).json();
    expect(all.identifiers.map((t: { name: string }) => t.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(all.identifiers[0]).toEqual({ namespace: ['sales'], name: 'a' });
    const names: string[] = [];
    let token = '';
    for (let pages = 0; pages < 10; pages++) {
      const body = (
        await call(`/v1/namespaces/sales/tables?pageSize=2&pageToken=${encodeURIComponent(token)}`)
      ).json();
      expect(body.identifiers.length).toBeLessThanOrEqual(2);
      names.push(...body.identifiers.map((t: { name: string }) => t.name));
      if (body['next-page-token'] === null) break;
      token = body['next-page-token'];
    }
    expect(names).toEqual(['a', 'b', 'c', 'd', 'e']);
    expectError(await call('/v1/namespaces/nope/tables'), 404, 'NoSuchNamespaceException');
  });

  it('loads a LoadTableResult with an ETag, and answers If-None-Match with 304 only on a match', async () => {
    const reply = await call('/v1/namespaces/sales/tables/a');
    expect(reply.status).toBe(200);
    const body = reply.json();
    const row = await warehouse.registry.tableByName('sales', 'a');
    expect(body['metadata-location']).toBe(row!.metadata_location);
    expect(body.metadata['format-version']).toBe(2);
    expect(body.metadata.snapshots).toHaveLength(1);
    expect(body.config).toEqual({});
    const etag = reply.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);

    const same = await call('/v1/namespaces/sales/tables/a', { headers: { 'if-none-match': etag } });
    expect([same.status, same.text, same.headers.get('etag')]).toEqual([304, '', etag]);
    const other = await call('/v1/namespaces/sales/tables/a', { headers: { 'if-none-match': '"other"' } });
    expect(other.status).toBe(200);
    const star = await call('/v1/namespaces/sales/tables/a', { headers: { 'if-none-match': '*' } });
    expect(star.status).toBe(200);
    const refs = await call('/v1/namespaces/sales/tables/a?snapshots=refs', {
      headers: { 'if-none-match': etag },
    });
    expect(refs.status).toBe(200);
    expect(refs.headers.get('etag')).not.toBe(etag);
    expect(
      (await call('/v1/namespaces/sales/tables/a?snapshots=all', { headers: { 'if-none-match': etag } }))
        .status,
    ).toBe(304);
  });

  it('changes the ETag when the table moves: the old one gets the new metadata, not a 304', async () => {
    const before = await call('/v1/namespaces/sales/tables/b');
    await commitFile('sales', 'b', 77);
    const after = await call('/v1/namespaces/sales/tables/b', {
      headers: { 'if-none-match': before.headers.get('etag')! },
    });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
    expect(after.json().metadata.snapshots).toHaveLength(2);
    expect(after.json()['metadata-location']).not.toBe(before.json()['metadata-location']);
    // snapshots=refs keeps only what a branch or tag points at.
    const refs = (await call('/v1/namespaces/sales/tables/b?snapshots=refs')).json();
    expect(refs.metadata.snapshots).toHaveLength(1);
    expect(refs.metadata['snapshot-log']).toHaveLength(2);
  });

  it('HEAD answers 204 or 404; missing tables are NoSuchTable, also in a missing or multi-level namespace', async () => {
    expect((await call('/v1/namespaces/sales/tables/a', { method: 'HEAD' })).status).toBe(204);
    expect((await call('/v1/namespaces/sales/tables/zzz', { method: 'HEAD' })).status).toBe(404);
    expectError(await call('/v1/namespaces/sales/tables/zzz'), 404, 'NoSuchTableException');
    expectError(await call('/v1/namespaces/sales/tables/pending'), 404, 'NoSuchTableException');
    expectError(await call('/v1/namespaces/nope/tables/a'), 404, 'NoSuchTableException');
    // Java/Spark ask for metadata tables as `db.t.snapshots`: namespace [sales, a], table snapshots.
    expectError(await call('/v1/namespaces/sales%1Fa/tables/snapshots'), 404, 'NoSuchTableException');
  });
});

describe('write routes are refused with the spec status, saying why', () => {
  const example: Record<string, string> = { '{namespace}': 'sales', '{table}': 'a' };
  for (const route of WRITE_ROUTES) {
    const path = `/v1/${route.path.map((p) => example[p] ?? p).join('/')}`;
    it(`${route.method} ${path} → ${route.status}`, async () => {
      const reply = await call(path, {
        method: route.method,
        body: route.method === 'POST' ? '{}' : undefined,
      });
      expectError(
        reply,
        route.status,
        route.status === 406 ? 'UnsupportedOperationException' : 'ForbiddenException',
      );
      expect(reply.json().error.message).toMatch(/read-only to other engines/);
    });
  }
  it('the table is untouched by a refused drop', async () => {
    await call('/v1/namespaces/sales/tables/a', { method: 'DELETE' });
    expect((await call('/v1/namespaces/sales/tables/a')).status).toBe(200);
  });
});

describe("callers' mistakes are 4xx ErrorModels", () => {
  it.each([
    ['/v1/namespaces?pageToken=&pageSize=0', 400, 'BadRequestException'],
    ['/v1/namespaces?pageToken=&pageSize=-3', 400, 'BadRequestException'],
    ['/v1/namespaces?pageToken=&pageSize=abc', 400, 'BadRequestException'],
    ['/v1/namespaces?pageToken=not-ours', 400, 'BadRequestException'],
    ['/v1/namespaces/sales/tables/a?snapshots=some', 400, 'BadRequestException'],
    ['/v1/namespaces/sales%1F%1Fa', 400, 'BadRequestException'],
    ['/v1/namespaces//tables', 400, 'BadRequestException'],
    ['/v1/namespaces/%FF%FE', 400, 'BadRequestException'],
    ['/v1/namespaces?parent=%C3%28', 400, 'BadRequestException'],
    ['/v1/namespaces/sales/tables/%E0%80', 400, 'BadRequestException'],
    ['/v1/namespaces/sales%2Fa', 404, 'NoSuchNamespaceException'],
    ['/v1/namespaces/sales/tables/a%2F..%2Fb', 404, 'NoSuchTableException'],
    [`/v1/namespaces/${'x'.repeat(5000)}`, 400, 'BadRequestException'],
    ['/v1/namespaces/sales/views', 200, ''],
    ['/v1/namespaces/sales/views/v', 404, 'NoSuchViewException'],
    ['/v1/oauth/tokens', 404, 'NotFoundException'],
    ['/nothing/here', 404, 'NotFoundException'],
  ])('%s → %i %s', async (path, status, type) => {
    const reply = await call(path);
    if (status === 200) expect(reply.json()).toEqual({ identifiers: [], 'next-page-token': null });
    else expectError(reply, status, type);
  });

  it('a huge pageSize is capped, not refused', async () => {
    const reply = await call('/v1/namespaces/sales/tables?pageToken=&pageSize=99999999999999999999999');
    expect(reply.status).toBe(200);
    expect(reply.json().identifiers).toHaveLength(5);
  });
});

describe('compression', () => {
  it('sends large LoadTable results gzip-compressed to clients that accept it, the same JSON', async () => {
    const catalog = createRestCatalog({
      client: warehouse.registry.client,
      store: warehouse.store,
      aws: {},
      logger: silentLogger(),
      gzipFromBytes: 0,
    });
    const gzipping = await startCatalogServer({
      host: '127.0.0.1',
      port: 0,
      catalog,
      logger: silentLogger(),
    });
    try {
      const path = '/v1/namespaces/sales/tables/c';
      const packed = await fetch(`${gzipping.uri}${path}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(packed.headers.get('content-encoding')).toBe('gzip');
      expect(packed.headers.get('vary')).toBe('accept-encoding');
      const plain = await fetch(`${gzipping.uri}${path}`, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(await packed.text()).toBe(await plain.text());
      expect((await call(path)).headers.get('content-encoding')).toBeNull();
    } finally {
      await gzipping.close();
    }
  });
});

describe('bearer token', () => {
  it('is required when configured, and needed to listen beyond loopback', async () => {
    const guarded = await serveWarehouse(warehouse, 's3cret-token');
    try {
      const none = await fetch(`${guarded.uri}/v1/config`);
      expect(none.status).toBe(401);
      expect(((await none.json()) as { error: { type: string } }).error.type).toBe('NotAuthorizedException');
      const wrong = await fetch(`${guarded.uri}/v1/config`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${guarded.uri}/v1/config`, {
        headers: { authorization: 'Bearer s3cret-token' },
      });
      expect(right.status).toBe(200);
    } finally {
      await guarded.close();
    }
    const catalog = createRestCatalog({
      client: warehouse.registry.client,
      store: warehouse.store,
      aws: {},
      logger: silentLogger(),
    });
    await expect(
      startCatalogServer({ host: '0.0.0.0', port: 0, catalog, logger: silentLogger() }),
    ).rejects.toThrow(/bearer token/);
  });
});
