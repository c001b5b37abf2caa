/**
 * Configuration, parsed once from the environment into a typed, read-only object.
 * Nothing else in astha reads `process.env`: handlers call `loadConfig()` at module scope
 * and pass the pieces they need down.
 */
import { AsthaError } from './errors.js';

export interface AwsClientOptions {
  region?: string;
  /** Endpoint override (LocalStack); implies path-style S3 addressing. */
  endpoint?: string;
  forcePathStyle?: boolean;
}

export interface RegistryConfig {
  /** libSQL URL: `file:`, `http(s):`, `libsql:`, `ws(s):`. Empty when it comes from the secret. */
  url: string;
  /** Only for local use; in AWS the token comes from `secretArn`. Never logged. */
  authToken?: string;
  /** Secrets Manager secret holding `{"url": "...", "authToken": "..."}`, read at cold start. */
  secretArn?: string;
}

/** catalog_sync's Glue Data Catalog; absent (the default) means Glue is not kept in step. */
export interface GlueConfig {
  /** Glue database of a namespace = prefix + namespace name, e.g. `astha_` + `sales`. */
  databasePrefix: string;
  /** Glue endpoint override (an emulator); the region's Glue when undefined. */
  endpoint?: string;
  /** Another account's catalog; the caller's own when undefined. */
  catalogId?: string;
}

export interface AsthaConfig {
  registry: RegistryConfig;
  /** Where tables live: `s3://bucket/prefix`, `file:///dir` or `memory://name`. */
  warehouse: string;
  aws: AwsClientOptions;
  /** Queue URL per deployed component; components without a queue receive no events. */
  componentQueues: Readonly<Record<string, string>>;
  /** Dead-letter queue URL per deployed component; the drainer's breaker watches their depth. */
  componentDeadLetterQueues: Readonly<Record<string, string>>;
  /** The standard queue that S3 notifies (AWS/LocalStack mode). */
  registrationQueue?: string;
  drain: {
    pollIntervalMs: number;
    batchSize: number;
    safetyMarginMs: number;
    /** The drain Lambda that writers nudge after their transactions (deployed only). */
    nudgeFunction?: string;
  };
  /** The REST catalog server (`astha serve`, `astha start`). */
  catalog: CatalogServerConfig;
  /** Registration reads every data page, not only the footer (`ASTHA_VERIFY_DATA`, default on). */
  registration: { verifyData: boolean };
  logLevel: string;
  /**
   * Set inside a Lambda function (`AWS_LAMBDA_FUNCTION_NAME`): its name and the timeout the
   * stack gave it (`ASTHA_FUNCTION_TIMEOUT_SECONDS`), which bounds how long its commit claims live.
   */
  function?: { name: string; timeoutMs?: number };
  glue?: GlueConfig;
}

export interface CatalogServerConfig {
  host: string;
  port: number;
  /** Bearer token clients must send; required to listen beyond loopback. Never logged. */
  token?: string;
}

export class ConfigError extends AsthaError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('config', message, { details });
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_REGISTRY_URL = 'file:./.astha/registry.db';
export const DEFAULT_WAREHOUSE = 'file://./warehouse';

/** Reads the environment once. Throws ConfigError naming the variable that is wrong. */
export function loadConfig(env: Env = process.env): Readonly<AsthaConfig> {
  const endpoint = env.AWS_ENDPOINT_URL || undefined;
  const config: AsthaConfig = {
    registry: {
      url: env.ASTHA_REGISTRY_URL ?? (env.ASTHA_LIBSQL_SECRET_ARN ? '' : DEFAULT_REGISTRY_URL),
      authToken: env.ASTHA_REGISTRY_AUTH_TOKEN || undefined,
      secretArn: env.ASTHA_LIBSQL_SECRET_ARN || undefined,
    },
    warehouse: env.ASTHA_WAREHOUSE ?? DEFAULT_WAREHOUSE,
    aws: {
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (endpoint ? 'us-east-1' : undefined),
      endpoint,
      forcePathStyle: endpoint !== undefined,
    },
    componentQueues: parseJsonObject(env, 'ASTHA_COMPONENT_QUEUES'),
    componentDeadLetterQueues: parseJsonObject(env, 'ASTHA_COMPONENT_DLQS'),
    registrationQueue: env.ASTHA_REGISTRATION_QUEUE || undefined,
    drain: {
      pollIntervalMs: positiveInt(env, 'ASTHA_DRAIN_POLL_MS', 100),
      batchSize: positiveInt(env, 'ASTHA_DRAIN_BATCH_SIZE', 256),
      safetyMarginMs: positiveInt(env, 'ASTHA_DRAIN_MARGIN_MS', 5_000),
      nudgeFunction: env.ASTHA_DRAIN_FUNCTION || undefined,
    },
    catalog: {
      host: env.ASTHA_CATALOG_HOST || '127.0.0.1',
      port: portNumber(env, 'ASTHA_CATALOG_PORT', 8181),
      token: env.ASTHA_CATALOG_TOKEN || undefined,
    },
    registration: { verifyData: onOff(env, 'ASTHA_VERIFY_DATA', true) },
    logLevel: env.ASTHA_LOG_LEVEL ?? 'info',
    ...functionConfig(env),
  };
  const glue = glueConfig(env);
  if (glue) config.glue = glue;
  return deepFreeze(config);
}

function functionConfig(env: Env): Pick<AsthaConfig, 'function'> {
  const name = env.AWS_LAMBDA_FUNCTION_NAME;
  if (!name) return {};
  const timeout = env.ASTHA_FUNCTION_TIMEOUT_SECONDS
    ? positiveInt(env, 'ASTHA_FUNCTION_TIMEOUT_SECONDS', 900)
    : undefined;
  return { function: { name, ...(timeout === undefined ? {} : { timeoutMs: timeout * 1000 }) } };
}

/** Glue names are lower case; the prefix must leave room for a 128-character namespace. */
const GLUE_PREFIX = /^[a-z][a-z0-9_]{0,63}$/;

/** `ASTHA_GLUE_DATABASE_PREFIX` switches catalog_sync on; the other two refine it. */
function glueConfig(env: Env): GlueConfig | undefined {
  const databasePrefix = env.ASTHA_GLUE_DATABASE_PREFIX;
  const endpoint = env.ASTHA_GLUE_ENDPOINT || undefined;
  const catalogId = env.ASTHA_GLUE_CATALOG_ID || undefined;
  if (databasePrefix === undefined || databasePrefix === '') {
    if (endpoint || catalogId) {
      throw new ConfigError('ASTHA_GLUE_ENDPOINT/ASTHA_GLUE_CATALOG_ID need ASTHA_GLUE_DATABASE_PREFIX', {
        name: 'ASTHA_GLUE_DATABASE_PREFIX',
      });
    }
    return undefined;
  }
  if (!GLUE_PREFIX.test(databasePrefix)) {
    throw new ConfigError(
      `ASTHA_GLUE_DATABASE_PREFIX must match ${GLUE_PREFIX.source}, got ${JSON.stringify(databasePrefix)}`,
      { name: 'ASTHA_GLUE_DATABASE_PREFIX' },
    );
  }
  if (catalogId !== undefined && !/^\d{12}$/.test(catalogId)) {
    throw new ConfigError(
      `ASTHA_GLUE_CATALOG_ID must be a 12-digit account id, got ${JSON.stringify(catalogId)}`,
      {
        name: 'ASTHA_GLUE_CATALOG_ID',
      },
    );
  }
  return { databasePrefix, ...(endpoint ? { endpoint } : {}), ...(catalogId ? { catalogId } : {}) };
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`, { name });
  }
  return value;
}

/** A TCP port; 0 asks the system for any free one. */
function portNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) {
    throw new ConfigError(`${name} must be a port number (0 for any free port), got ${JSON.stringify(raw)}`, {
      name,
    });
  }
  return Number(raw);
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|on)$/i.test(raw)) return true;
  if (/^(0|false|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be on or off (true/false, 1/0), got ${JSON.stringify(raw)}`, { name });
}

function parseJsonObject(env: Env, name: string): Record<string, string> {
  const raw = env[name];
  if (raw === undefined || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (cause) {
    throw new ConfigError(`${name} is not valid JSON: ${(cause as Error).message}`, { name });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${name} must be a JSON object of name → URL`, { name });
  }
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string' || value === '') {
      throw new ConfigError(`${name}.${key} must be a non-empty string`, { name, key });
    }
    result[key] = value;
  }
  return result;
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
