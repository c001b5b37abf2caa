/**
 * Lambda bundle benchmark: `npx tsx bench/bundles.ts [runs]`.
 *
 * Builds every `functions/*.ts` as the CDK stack does (esbuild, one minified ESM file, AWS SDK
 * included, the native libSQL module replaced by its stub, the createRequire banner), then
 * prints each bundle's size against the 1.5 MB target and its module init time: the median,
 * over `runs` fresh Node processes, of importing the bundle with the environment a Lambda
 * would have. Handlers build their dependencies on the first invocation, so the import
 * touches no network.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { LIBSQL_NATIVE_STUB, PROJECT_ROOT } from '../infra/paths.js';

const RUNS = Number(process.argv[2] ?? 7);
const TARGET_BYTES = 1.5 * 1024 * 1024;
/** Same as infra/constructs/asthaFunction.ts: CommonJS dependencies call `require` for built-ins. */
const REQUIRE_BANNER =
  "import{createRequire as __asthaCreateRequire}from'node:module';const require=__asthaCreateRequire(import.meta.url);";
/** What a deployed function's configuration looks like; nothing here is contacted at import. */
const LAMBDA_ENV = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'astha-bench',
  ASTHA_WAREHOUSE: 's3://b/p',
  ASTHA_REGISTRY_URL: 'libsql://127.0.0.1:9',
  ASTHA_REGISTRATION_QUEUE: 'http://127.0.0.1:9/000000000000/register',
  ASTHA_COMPONENT_QUEUES: '{}',
  ASTHA_LOG_LEVEL: 'warn',
};
const IMPORT_TIMER =
  'const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));';

async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_BANNER },
    alias: { libsql: LIBSQL_NATIVE_STUB },
    logLevel: 'error',
  });
}

/** Milliseconds to import the bundle in a fresh process (module evaluation, not process start). */
function initTime(file: string): number {
  const result = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', IMPORT_TIMER, pathToFileURL(file).href],
    {
      env: LAMBDA_ENV,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`importing ${file} failed: ${result.stderr.slice(-2000)}`);
  return Number(result.stdout);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const functionsDir = join(PROJECT_ROOT, 'functions');
  const entries = readdirSync(functionsDir).filter((f) => f.endsWith('.ts'));
  const out = mkdtempSync(join(tmpdir(), 'astha-bundles-'));
  console.log(
    `bench/bundles: ${entries.length} functions, init time = median of ${RUNS} fresh processes (node ${process.version}, load average ${loadavg()[0]!.toFixed(1)})`,
  );
  let allUnder = true;
  try {
    for (const entry of entries) {
      const file = join(out, entry.replace(/\.ts$/, '.mjs'));
      await bundle(join(functionsDir, entry), file);
      const bytes = statSync(file).size;
      allUnder &&= bytes < TARGET_BYTES;
      const times = Array.from({ length: RUNS }, () => initTime(file));
      console.log(
        `${entry.padEnd(26)} ${(bytes / 1024 / 1024).toFixed(2)} MB (${(bytes / 1024).toFixed(0)} KiB)${
          bytes < TARGET_BYTES ? '' : ' OVER 1.5 MB'
        }  init ${median(times).toFixed(0)} ms (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  console.log(`target < 1.5 MB each: ${allUnder ? 'met' : 'NOT met'}`);
}

await main();
