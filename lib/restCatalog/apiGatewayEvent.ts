/**
 * The REST catalog behind API Gateway (REST API, Lambda proxy integration, IAM/SigV4 auth done
 * by the gateway): an event becomes a `CatalogRequest`, the `CatalogResponse` a proxy result.
 * When the catalog cannot be built (the registry unreachable at cold start) callers get a 503
 * ErrorModel, not a gateway 502.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { CatalogError, errorBody } from './catalogError.js';
import type { CatalogRequest, RestCatalog } from './restCatalog.js';

/** The gateway already decoded query values; the path's segments are decoded by the catalog. */
export function catalogRequestOf(event: APIGatewayProxyEvent): CatalogRequest {
  const query = new Map<string, string>();
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if (values?.[0] !== undefined) query.set(name, values[0]);
  }
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (!query.has(name) && value !== undefined) query.set(name, value);
  }
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers.set(name.toLowerCase(), value);
  }
  return { method: event.httpMethod, path: event.path, query, header: (name) => headers.get(name) };
}

export async function answerApiGatewayEvent(
  event: APIGatewayProxyEvent,
  catalog: () => Promise<RestCatalog>,
  logger: Logger,
): Promise<APIGatewayProxyResult> {
  let serve: RestCatalog;
  try {
    serve = await catalog();
  } catch (error) {
    logger.error({ err: errorMessage(error) }, 'catalog unavailable');
    const unavailable = new CatalogError(
      503,
      'ServiceUnavailableException',
      'the catalog is starting or its registry is unreachable; retry',
    );
    return {
      statusCode: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '1' },
      body: errorBody(unavailable),
    };
  }
  const response = await serve(catalogRequestOf(event));
  const body = event.httpMethod === 'HEAD' ? '' : (response.body ?? '').toString();
  return { statusCode: response.status, headers: response.headers, body };
}
