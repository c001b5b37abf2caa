import { fileURLToPath } from 'node:url';

/** Repository root: the bundler's project root and the base of the default handler paths. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the Lambda handlers live (`functions/<name>.ts`, each exporting `handler`). */
export const DEFAULT_FUNCTIONS_DIR = fileURLToPath(new URL('../functions', import.meta.url));

/**
 * Replaces the native `libsql` package (SQLite bindings used only for `file:` URLs) in Lambda
 * bundles: Lambda talks to a libSQL server over HTTP, and the native module for linux-arm64
 * is not installed here.
 */
export const LIBSQL_NATIVE_STUB = fileURLToPath(new URL('./libsqlNativeStub.ts', import.meta.url));
