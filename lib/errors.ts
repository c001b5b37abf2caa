/**
 * One error class per layer, each with a stable `code`, a `retryable` flag and the `cause`.
 * Adapters translate SDK errors into these at the boundary, so nothing above them
 * inspects AWS error names or HTTP status codes. Messages are redacted when made and when
 * printed, so a URL carrying a token never leaves through an error.
 */
import { redactSecrets } from './redact.js';

export interface AsthaErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  /** Structured facts about the failure, safe to log. */
  details?: Record<string, unknown>;
}

export class AsthaError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: AsthaErrorOptions = {}) {
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

/** Errors of the ObjectStore port. */
export type StoreErrorCode =
  /** A conditional write lost: the key exists (putIfAbsent) or its ETag changed (putIfMatch). */
  | 'conflict'
  /** The key does not exist. */
  | 'not_found'
  /** The key is not acceptable (empty segment, `..`, absolute path, ...). */
  | 'invalid_key'
  /** The requested byte range cannot be satisfied. */
  | 'invalid_range'
  /** Anything else the backend reported; `retryable` says whether trying again may help. */
  | 'backend';

export class StoreError extends AsthaError {
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options: AsthaErrorOptions = {}) {
    super(code, message, { retryable: code === 'conflict', ...options });
  }
}

/** Errors of the Queue port. */
export type QueueErrorCode = 'invalid_message' | 'not_found' | 'backend';

export class QueueError extends AsthaError {
  declare readonly code: QueueErrorCode;
  constructor(code: QueueErrorCode, message: string, options: AsthaErrorOptions = {}) {
    super(code, message, options);
  }
}

export function isRetryable(error: unknown): boolean {
  return error instanceof AsthaError && error.retryable;
}

export function errorMessage(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}
