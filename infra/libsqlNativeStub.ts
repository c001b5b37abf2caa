/**
 * Bundled in place of the native `libsql` module. `@libsql/client` imports it statically but
 * only uses it for `file:` URLs, which have no meaning inside Lambda; constructing it fails
 * with the reason instead of a missing-binary crash at cold start.
 */
export default class NativeLibsqlUnavailable {
  constructor() {
    throw new Error('file: libSQL URLs are not supported in Lambda; use a libsql://, https:// or wss:// URL');
  }
}
