/**
 * The one logger factory. JSON lines (pino) so CloudWatch can parse them; anything that looks
 * like a credential is redacted whatever path it is logged under.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

const REDACT = ['authToken', '*.authToken', '*.*.authToken', 'token', '*.token', 'password', '*.password'];

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where the lines go; stdout by default (Lambda). The CLI passes stderr. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    name: options.name ?? 'astha',
    level: options.level ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** A logger that writes nothing, for tests and library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
