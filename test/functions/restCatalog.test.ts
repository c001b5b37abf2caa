/**
 * functions/rest-catalog.ts invoked with API Gateway (REST API, Lambda proxy) events, as the
 * deployed stack calls it: config, paging with gateway-decoded query values, a LoadTable with an
 * ETag and the 304 that follows, encoded separators in the path, a refused write, and a 503
 * ErrorModel (not a crash) when the registry cannot be opened.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { commitPending } from '../../lib/iceberg/commitPending.js';
import { hyparquetFile } from '../conformance/astha.js';
import { handlerEnvironment } from '../lambda/handlerEnvironment.js';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const env = handlerEnvironment('astha-rest-catalog-');

async function load(): Promise<Handler> {
  return ((await import('../../functions/rest-catalog.js')) as { handler: Handler }).handler;
}

function event(
  method: string,
  path: string,
  options: { query?: Record<string, string>; headers?: Record<string, string>; body?: string } = {},
): APIGatewayProxyEvent {
  const query = options.query ?? null;
  return {
    httpMethod: method,
    path,
    resource: '/{proxy+}',
    pathParameters: { proxy: path.slice(1) },
    queryStringParameters: query,
    multiValueQueryStringParameters: query
      ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]]))
      : null,
    headers: options.headers ?? {},
    multiValueHeaders: {},
    body: options.body ?? null,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

const context = { awsRequestId: 'request-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

async function commitTable(ns: string, table: string, seed: number): Promise<void> {
  const key = `${ns}/${table}/data/f-${seed}.parquet`;
  const info = await env.store.put(key, hyparquetFile(8, seed));
  await env.registry.registerObject({ bucket: 'local', key, size: info.size, etag: info.etag }, env.store);
  const row = await env.registry.tableByName(ns, table);
  await commitPending(row!.id, { registry: env.registry, store: env.store });
}

describe('functions/rest-catalog', () => {
  it('answers the read routes from the registry, with ETag and 304', async () => {
    await commitTable('sales', 'orders', 1);
    await commitTable('sales', 'returns', 2);
    const handler = await load();

    const config = await handler(event('GET', '/v1/config', { query: { warehouse: 'anything' } }), context);
    expect(config.statusCode).toBe(200);
    expect(JSON.parse(config.body).endpoints).toContain(
      'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}',
    );

    const page = await handler(
      event('GET', '/v1/namespaces/sales/tables', { query: { pageToken: '', pageSize: '1' } }),
      context,
    );
    const first = JSON.parse(page.body);
    expect(first.identifiers).toEqual([{ namespace: ['sales'], name: 'orders' }]);
    const next = await handler(
      event('GET', '/v1/namespaces/sales/tables', {
        query: { pageToken: first['next-page-token'], pageSize: '1' },
      }),
      context,
    );
    expect(JSON.parse(next.body)).toEqual({
      identifiers: [{ namespace: ['sales'], name: 'returns' }],
      'next-page-token': null,
    });

    const loaded = await handler(event('GET', '/v1/namespaces/sales/tables/orders'), context);
    expect(loaded.statusCode).toBe(200);
    const row = await env.registry.tableByName('sales', 'orders');
    expect(JSON.parse(loaded.body)['metadata-location']).toBe(row!.metadata_location);
    const etag = loaded.headers!.etag as string;
    const again = await handler(
      event('GET', '/v1/namespaces/sales/tables/orders', { headers: { 'If-None-Match': etag } }),
      context,
    );
    expect([again.statusCode, again.body]).toEqual([304, '']);
  });

  it('decodes separators in the path, refuses writes, and answers HEAD without a body', async () => {
    await commitTable('sales', 'orders', 3);
    const handler = await load();
    const nested = await handler(event('GET', '/v1/namespaces/sales%1Forders/tables/snapshots'), context);
    expect(nested.statusCode).toBe(404);
    expect(JSON.parse(nested.body).error.type).toBe('NoSuchTableException');
    const write = await handler(event('POST', '/v1/namespaces/sales/tables/orders', { body: '{}' }), context);
    expect(write.statusCode).toBe(403);
    expect(JSON.parse(write.body).error).toMatchObject({ type: 'ForbiddenException', code: 403 });
    const head = await handler(event('HEAD', '/v1/namespaces/sales/tables/orders'), context);
    expect([head.statusCode, head.body]).toEqual([204, '']);
  });

  it('answers 503 with an ErrorModel when the registry cannot be opened', async () => {
    process.env.ASTHA_REGISTRY_URL = 'http://127.0.0.1:9/unreachable';
    const handler = await load();
    const reply = await handler(event('GET', '/v1/namespaces'), context);
    expect(reply.statusCode).toBe(503);
    expect(JSON.parse(reply.body).error).toMatchObject({ type: 'ServiceUnavailableException', code: 503 });
  });
});
