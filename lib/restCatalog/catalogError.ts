/**
 * The REST catalog's one error type and its wire form: the spec's `ErrorModel` wrapped as
 * `{"error": {message, type, code}}`. Never a stack: callers see what they can fix.
 */
import { AsthaError } from '../errors.js';

/** The spec's exception names that astha answers with. */
export type CatalogErrorType =
  | 'BadRequestException'
  | 'NotAuthorizedException'
  | 'ForbiddenException'
  | 'NoSuchNamespaceException'
  | 'NoSuchTableException'
  | 'NoSuchViewException'
  | 'NotFoundException'
  | 'UnsupportedOperationException'
  | 'InternalServerError'
  | 'ServiceUnavailableException';

export class CatalogError extends AsthaError {
  readonly status: number;
  readonly type: CatalogErrorType;

  constructor(status: number, type: CatalogErrorType, message: string, options: { cause?: unknown } = {}) {
    super(`catalog_${status}`, message, { retryable: status >= 500, ...options });
    this.status = status;
    this.type = type;
  }
}

export const badRequest = (message: string) => new CatalogError(400, 'BadRequestException', message);

export const noSuchNamespace = (namespace: readonly string[]) =>
  new CatalogError(404, 'NoSuchNamespaceException', `Namespace does not exist: ${namespace.join('.')}`);

export const noSuchTable = (namespace: readonly string[], table: string) =>
  new CatalogError(404, 'NoSuchTableException', `Table does not exist: ${[...namespace, table].join('.')}`);

/** The `IcebergErrorResponse` body for an error. */
export function errorBody(error: CatalogError): string {
  return JSON.stringify({ error: { message: error.message, type: error.type, code: error.status } });
}
