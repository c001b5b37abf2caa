/**
 * The one redaction of secrets in text: logs, CLI output and error messages all pass what they
 * print through `redactSecrets`, so a token inside a registry URL (`libsql://host?authToken=…`,
 * `https://user:password@host`) never reaches a terminal or a log line.
 */

export const REDACTED = '[redacted]';

/** Query parameters whose value is a credential (matched case-insensitively). */
const SECRET_PARAMS = ['authToken', 'auth_token', 'token', 'access_token', 'password', 'secret', 'jwt'];
const SECRET_PARAM = new RegExp(`([?&](?:${SECRET_PARAMS.join('|')})=)[^&#\\s"']*`, 'gi');
/** `scheme://user:password@` — the password part. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"']*:)[^@/\s"']*(@)/gi;

/** `text` with every credential-looking URL part replaced by `[redacted]`. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_PARAM, `$1${REDACTED}`).replace(URL_PASSWORD, `$1${REDACTED}$2`);
}

/** Property names whose values are credentials wherever they appear in a logged object. */
export const SECRET_KEYS = ['authToken', 'token', 'password', 'secret', 'secretAccessKey', 'sessionToken'];
