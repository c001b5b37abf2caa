/**
 * Secrets inside URLs (a libSQL registry URL with `?authToken=`, a password in user info) never
 * reach a log line or an error message: the logger and AsthaError both redact.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AsthaError, errorMessage } from '../lib/errors.js';
import { createLogger } from '../lib/log.js';
import { redactSecrets } from '../lib/redact.js';

const SECRET = 'eyJhbGciOiJFZERTQSJ9.s3cr3t';
const URL = `libsql://db.example.turso.io?authToken=${SECRET}`;

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('redactSecrets', () => {
  it('hides tokens in query strings and passwords in user info, keeps the rest', () => {
    expect(redactSecrets(`open ${URL}&tls=1 failed`)).toBe(
      'open libsql://db.example.turso.io?authToken=[redacted]&tls=1 failed',
    );
    expect(redactSecrets('https://admin:hunter2@sqld.internal:8080/x')).toBe(
      'https://admin:[redacted]@sqld.internal:8080/x',
    );
    expect(redactSecrets('file:./.astha/registry.db')).toBe('file:./.astha/registry.db');
  });
});

describe('logger and errors', () => {
  it('redacts config objects, URLs, errors and messages in every log line', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ destination: stream });
    logger.info({ registry: URL }, 'dependencies ready');
    logger.info({ config: { registry: { url: URL, authToken: SECRET } } }, 'config');
    logger.error({ err: `cannot open registry ${URL}` }, 'start failed');
    logger.warn(`connecting to ${URL}`);
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).not.toContain(SECRET);
    expect(lines.join('')).toContain('authToken=[redacted]');
  });

  it('an error naming the URL carries no secret in its message or stack', () => {
    const error = new AsthaError('invalid_url', `registry URL must start with file: … : ${URL}`);
    expect(error.message).not.toContain(SECRET);
    expect(error.stack).not.toContain(SECRET);
    expect(errorMessage(new Error(`fetch ${URL} failed`))).not.toContain(SECRET);
  });
});
