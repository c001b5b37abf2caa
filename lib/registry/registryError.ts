import { AsthaError, type AsthaErrorOptions } from '../errors.js';

/** Errors of the registry layer (schema, CDC triggers, registration, reads). */
export type RegistryErrorCode =
  /** The URL is not a libSQL URL astha accepts. */
  | 'invalid_url'
  /** A migration or trigger installation failed; the database is left at the previous version. */
  | 'migration'
  /** The connection does not enforce foreign keys. */
  | 'foreign_keys_off'
  /** A table cannot get CDC triggers (WITHOUT ROWID, odd column names). */
  | 'unsupported_table'
  /** The libSQL backend failed; `retryable` says whether trying again may help. */
  | 'backend'
  /** A requested row does not exist. */
  | 'not_found'
  /** A table property name or value a person gave is not acceptable. */
  | 'invalid_property';

export class RegistryError extends AsthaError {
  declare readonly code: RegistryErrorCode;
  constructor(code: RegistryErrorCode, message: string, options: AsthaErrorOptions = {}) {
    super(code, message, options);
  }
}
