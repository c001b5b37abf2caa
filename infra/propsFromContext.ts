import { resolve } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { parseComponents } from './components.js';
import type { AsthaStackProps } from './asthaStack.js';
import type { LibsqlSource } from './constructs/libsqlConnection.js';
import type { GlueProps } from './glueAccess.js';
import type { BucketEncryptionChoice } from './constructs/warehouseBucket.js';

/** Reads one context value (`-c key=value` or cdk.json "context"); undefined when unset or empty. */
export type ContextReader = (key: string) => unknown;

/**
 * Stack props from CDK context, so a deploy needs no code change:
 * `npx cdk deploy -c existingBucketName=my-lake -c warehousePrefix=warehouse -c libsqlSecretName=astha/libsql`.
 */
export function propsFromContext(read: ContextReader): AsthaStackProps {
  const text = (key: string) => optionalString(read, key);
  const components = text('components');
  const functionsDir = text('functionsDir');
  const logRetentionDays = optionalNumber(read, 'logRetentionDays');
  const backlogAge = optionalNumber(read, 'backlogAgeAlarmSeconds');
  const registrationAge = optionalNumber(read, 'registrationAgeAlarmSeconds');
  return {
    namePrefix: text('namePrefix'),
    existingBucketName: text('existingBucketName'),
    bucketName: text('bucketName'),
    encryption: encryption(text('encryption')),
    versioned: optionalBoolean(read, 'versioned'),
    warehousePrefix: text('warehousePrefix') ?? optionalEmpty(read, 'warehousePrefix'),
    libsql: libsqlSource(text),
    logRetention: logRetentionDays === undefined ? undefined : retention(logRetentionDays),
    tempObjectExpirationDays: optionalNumber(read, 'tempObjectExpirationDays'),
    components: components === undefined ? undefined : parseComponents(components),
    deleteReplacedUserFiles: optionalBoolean(read, 'deleteReplacedUserFiles'),
    alarmTopicArn: text('alarmTopicArn'),
    drainMemorySize: optionalNumber(read, 'drainMemorySize'),
    drainPollIntervalMs: optionalNumber(read, 'drainPollIntervalMs'),
    logLevel: text('logLevel'),
    backlogAgeAlarmThreshold: backlogAge === undefined ? undefined : Duration.seconds(backlogAge),
    registrationAgeAlarmThreshold:
      registrationAge === undefined ? undefined : Duration.seconds(registrationAge),
    functionsDir: functionsDir === undefined ? undefined : resolve(functionsDir),
    glue: glueProps(text),
    restCatalog: optionalBoolean(read, 'restCatalog'),
  };
}

/** `-c glueDatabasePrefix=astha_ [-c glueCatalogId=123456789012]` deploys catalog_sync. */
function glueProps(text: (key: string) => string | undefined): GlueProps | undefined {
  const databasePrefix = text('glueDatabasePrefix');
  const catalogId = text('glueCatalogId');
  if (databasePrefix === undefined) {
    if (catalogId !== undefined) throw new Error('context glueCatalogId needs glueDatabasePrefix');
    return undefined;
  }
  return catalogId === undefined ? { databasePrefix } : { databasePrefix, catalogId };
}

function libsqlSource(text: (key: string) => string | undefined): LibsqlSource | undefined {
  const source = {
    secretArn: text('libsqlSecretArn'),
    secretName: text('libsqlSecretName'),
  };
  return Object.values(source).some((v) => v !== undefined) ? source : undefined;
}

function encryption(value: string | undefined): BucketEncryptionChoice | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (upper === 'S3_MANAGED' || upper === 'KMS') return upper;
  throw new Error(`context encryption="${value}": expected S3_MANAGED or KMS`);
}

function retention(days: number): RetentionDays {
  const known = Object.values(RetentionDays).filter((v): v is RetentionDays => typeof v === 'number');
  const match = known.find((v) => v === days);
  if (match === undefined)
    throw new Error(`context logRetentionDays=${days}: not a CloudWatch Logs retention`);
  return match;
}

function optionalString(read: ContextReader, key: string): string | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string')
    throw new Error(`context ${key}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

/** An explicitly empty warehousePrefix means "the whole bucket", which differs from unset. */
function optionalEmpty(read: ContextReader, key: string): string | undefined {
  return read(key) === '' ? '' : undefined;
}

function optionalNumber(read: ContextReader, key: string): number | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`context ${key}: expected a positive integer, got ${String(value)}`);
  return n;
}

function optionalBoolean(read: ContextReader, key: string): boolean | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`context ${key}: expected true or false, got ${String(value)}`);
}
