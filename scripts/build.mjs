// Builds the `astha` command into dist/ (ESM, one chunk per lazily loaded command) from the same
// lib/ sources the Lambda functions are bundled from; dependencies stay external (npm installs them).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/cli', { recursive: true, force: true });
const started = Date.now();
const result = await build({
  entryPoints: { astha: 'lib/cli/run.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
// On stderr: `npm pack --json` prints its answer on stdout after this script runs.
console.error(
  `built dist/cli/astha.js (${Object.keys(result.metafile.outputs).length} files, ${Math.round(bytes / 1024)} KiB) in ${Date.now() - started} ms`,
);
