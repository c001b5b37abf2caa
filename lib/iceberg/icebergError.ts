import { AsthaError, type AsthaErrorOptions } from '../errors.js';

/**
 * Errors of the Iceberg layer (spec model, manifests, commits).
 * `requirement_failed` is retryable: the table moved under us, so the commit protocol
 * reloads the base and re-applies its updates. Everything else is a bug or bad input
 * that retrying cannot fix.
 */
export type IcebergErrorCode =
  /** Table metadata JSON that does not follow the format spec. */
  | 'invalid_metadata'
  /** An update that cannot be applied to the base metadata (duplicate id, stale sequence number, ...). */
  | 'invalid_update'
  /** A commit requirement does not hold on the current base. */
  | 'requirement_failed'
  /** A manifest or manifest list that cannot be written or read. */
  | 'invalid_manifest'
  /** Something the spec allows that astha does not implement (yet). */
  | 'unsupported';

export class IcebergError extends AsthaError {
  declare readonly code: IcebergErrorCode;
  constructor(code: IcebergErrorCode, message: string, options: AsthaErrorOptions = {}) {
    super(code, message, { retryable: code === 'requirement_failed', ...options });
  }
}
