/**
 * The Glue port: the few AWS Glue Data Catalog calls catalog_sync makes, in astha's own types.
 * The SDK adapter (awsGlueCatalog.ts) translates Glue's exceptions into `GlueError` codes, so
 * the sync loop decides on `code`/`retryable` and never looks at AWS error names.
 */
import { AsthaError, type AsthaErrorOptions } from '../errors.js';

export interface GlueColumn {
  Name: string;
  Type: string;
  Comment?: string;
}

/** What CreateTable/UpdateTable take (a subset of Glue's `TableInput`). */
export interface GlueTableInput {
  Name: string;
  Description?: string;
  Owner?: string;
  TableType: string;
  Parameters: Record<string, string>;
  StorageDescriptor: {
    Location: string;
    Columns: GlueColumn[];
    Parameters?: Record<string, string>;
  };
}

/** A table as GetTable returns it; `VersionId` is the optimistic lock UpdateTable checks. */
export interface GlueTable {
  Name: string;
  DatabaseName: string;
  VersionId?: string;
  Description?: string;
  Owner?: string;
  TableType?: string;
  Parameters: Record<string, string>;
  StorageDescriptor?: {
    Location?: string;
    Columns: GlueColumn[];
    Parameters?: Record<string, string>;
  };
}

export interface GlueCatalog {
  /** The table, or undefined when it (or its database) does not exist. */
  getTable(database: string, name: string): Promise<GlueTable | undefined>;
  /** `not_found` when the database is missing, `already_exists` when the table is there. */
  createTable(database: string, input: GlueTableInput): Promise<void>;
  /** `conflict` when `versionId` is no longer the table's version. Never archives a version. */
  updateTable(database: string, input: GlueTableInput, versionId: string | undefined): Promise<void>;
  /** `already_exists` when it is there. */
  createDatabase(database: string, description: string): Promise<void>;
}

export type GlueErrorCode =
  /** UpdateTable's VersionId was stale: someone updated the table between our read and write. */
  | 'conflict'
  | 'already_exists'
  | 'not_found'
  /** Missing IAM permission (or a Lake Formation grant): retrying cannot help. */
  | 'access_denied'
  | 'throttled'
  /** Glue rejected the input (a name or type it does not accept). */
  | 'invalid'
  | 'backend';

export class GlueError extends AsthaError {
  declare readonly code: GlueErrorCode;
  constructor(code: GlueErrorCode, message: string, options: AsthaErrorOptions = {}) {
    const retryable = code === 'conflict' || code === 'throttled';
    super(code, message, { retryable, ...options });
  }
}

export function isGlueError(error: unknown, code: GlueErrorCode): error is GlueError {
  return error instanceof GlueError && error.code === code;
}
