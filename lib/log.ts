/**
 * The one logger factory. JSON lines (pino) so CloudWatch can parse them. Secrets are redacted
 * whatever path they are logged under: credential fields are replaced whole, and URLs, errors
 * and messages go through `redactSecrets` (a registry URL may carry `?authToken=`).
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import { REDACTED, redactSecrets, SECRET_KEYS } from './redact.js';

export type { Logger } from 'pino';

/** Fields that may hold a URL or an error message with a secret inside: redacted, not removed. */
const TEXT_FIELDS = ['url', 'registry', 'err', 'error', 'location', 'endpoint'];
const REDACT = [...SECRET_KEYS, ...TEXT_FIELDS].flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
const SECRET = new Set(SECRET_KEYS);

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where the lines go; stdout by default (Lambda). The CLI passes stderr. */
  destination?: DestinationStream;
}

function censor(value: unknown, path: string[]): unknown {
  if (SECRET.has(path[path.length - 1] ?? '')) return REDACTED;
  if (typeof value === 'string') return redactSecrets(value);
  if (value instanceof Error) return redactSecrets(value.message);
  // An object under a text field (a config section): its strings are redacted one level down.
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET.has(k) ? REDACTED : typeof v === 'string' ? redactSecrets(v) : v,
      ]),
    );
  }
  return value;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'astha',
      level: options.level ?? 'info',
      redact: { paths: REDACT, censor },
      hooks: {
        // Messages are text too: `logger.info('opened ' + url)` must not leak the token.
        logMethod(args, method) {
          const redacted = args.map((arg) => (typeof arg === 'string' ? redactSecrets(arg) : arg));
          return method.apply(this, redacted as Parameters<typeof method>);
        },
      },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    ...(options.destination ? [options.destination] : []),
  );
}

/** A logger that writes nothing, for tests and library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
