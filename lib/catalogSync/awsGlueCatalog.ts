/**
 * The Glue port on the AWS SDK. Glue's exceptions become `GlueError` codes here, at the
 * boundary. The SDK's own retries are off (one attempt per call): the sync loop owns retrying,
 * with backoff for throttling and a fresh read for a lost optimistic lock.
 */
import {
  CreateDatabaseCommand,
  CreateTableCommand,
  GetTableCommand,
  GlueClient,
  type Table,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import type { AwsOptions } from '../aws/awsOptions.js';
import { errorMessage } from '../errors.js';
import { type GlueCatalog, GlueError, type GlueErrorCode, type GlueTable } from './glueCatalog.js';

export interface AwsGlueOptions extends AwsOptions {
  /** The account whose catalog to use; the caller's own when undefined. */
  catalogId?: string;
}

export function createAwsGlueCatalog(options: AwsGlueOptions): GlueCatalog {
  const client = new GlueClient({
    maxAttempts: 1,
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: { ...options.credentials } } : {}),
  });
  const catalog = options.catalogId === undefined ? {} : { CatalogId: options.catalogId };
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw translate(what, error);
    }
  };
  return {
    async getTable(database, name) {
      try {
        const out = await client.send(
          new GetTableCommand({ ...catalog, DatabaseName: database, Name: name }),
        );
        return out.Table === undefined ? undefined : fromSdk(out.Table, database);
      } catch (error) {
        const translated = translate(`GetTable ${database}.${name}`, error);
        if (translated.code === 'not_found') return undefined;
        throw translated;
      }
    },
    createTable: (database, input) =>
      call(`CreateTable ${database}.${input.Name}`, async () => {
        await client.send(new CreateTableCommand({ ...catalog, DatabaseName: database, TableInput: input }));
      }),
    updateTable: (database, input, versionId) =>
      call(`UpdateTable ${database}.${input.Name}`, async () => {
        await client.send(
          new UpdateTableCommand({
            ...catalog,
            DatabaseName: database,
            TableInput: input,
            ...(versionId !== undefined ? { VersionId: versionId } : {}),
            SkipArchive: true,
          }),
        );
      }),
    createDatabase: (database, description) =>
      call(`CreateDatabase ${database}`, async () => {
        await client.send(
          new CreateDatabaseCommand({
            ...catalog,
            DatabaseInput: { Name: database, Description: description },
          }),
        );
      }),
  };
}

function fromSdk(table: Table, database: string): GlueTable {
  const sd = table.StorageDescriptor;
  return {
    Name: table.Name ?? '',
    DatabaseName: table.DatabaseName ?? database,
    ...(table.VersionId !== undefined ? { VersionId: table.VersionId } : {}),
    ...(table.Description !== undefined ? { Description: table.Description } : {}),
    ...(table.Owner !== undefined ? { Owner: table.Owner } : {}),
    ...(table.TableType !== undefined ? { TableType: table.TableType } : {}),
    Parameters: { ...(table.Parameters ?? {}) },
    ...(sd === undefined
      ? {}
      : {
          StorageDescriptor: {
            ...(sd.Location !== undefined ? { Location: sd.Location } : {}),
            Columns: (sd.Columns ?? []).map((c) => ({
              Name: c.Name ?? '',
              Type: c.Type ?? '',
              ...(c.Comment !== undefined ? { Comment: c.Comment } : {}),
            })),
            ...(sd.Parameters !== undefined ? { Parameters: { ...sd.Parameters } } : {}),
          },
        }),
  };
}

const CODES: Readonly<Record<string, GlueErrorCode>> = {
  ConcurrentModificationException: 'conflict',
  AlreadyExistsException: 'already_exists',
  EntityNotFoundException: 'not_found',
  AccessDeniedException: 'access_denied',
  ThrottlingException: 'throttled',
  TooManyRequestsException: 'throttled',
  InvalidInputException: 'invalid',
  ValidationException: 'invalid',
};

function translate(what: string, error: unknown): GlueError {
  const name = (error as { name?: string }).name ?? '';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const throttling = (error as { $retryable?: { throttling?: boolean } }).$retryable?.throttling === true;
  const code: GlueErrorCode = CODES[name] ?? (throttling || status === 429 ? 'throttled' : 'backend');
  // A 5xx or a dropped connection may pass; a 4xx we do not know will not.
  const retryable = code === 'backend' ? status === undefined || status >= 500 : undefined;
  return new GlueError(code, `Glue ${what}: ${name || 'error'}: ${errorMessage(error)}`, {
    cause: error,
    details: { glueError: name, ...(status !== undefined ? { httpStatus: status } : {}) },
    ...(retryable !== undefined ? { retryable } : {}),
  });
}
