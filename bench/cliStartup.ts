/**
 * CLI start-up benchmark: `npx tsx bench/cliStartup.ts [runs]`.
 *
 * Builds the CLI (scripts/build.mjs) and prints the wall time of `astha --help` and
 * `astha --version` from dist/ against the 300 ms target (median and worst of `runs` fresh
 * processes), next to a bare `node -e ''` on the same machine and the TypeScript sources run
 * through tsx (what every call cost before the build). The load average is printed too: on a
 * busy machine every number moves together.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';

const RUNS = Number(process.argv[2] ?? 15);
const TARGET_MS = 300;

function time(args: string[]): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return ms;
}

function measure(label: string, args: string[], runs: number): number {
  const samples = Array.from({ length: runs }, () => time(args)).sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)]!;
  console.log(
    `${label.padEnd(34)} median ${median.toFixed(0).padStart(5)} ms  worst ${samples.at(-1)!.toFixed(0).padStart(5)} ms  (${runs} runs)`,
  );
  return median;
}

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const bare = measure("node -e ''", ['-e', ''], RUNS);
const help = measure('astha --help (dist)', ['bin/astha.js', '--help'], RUNS);
measure('astha --version (dist)', ['bin/astha.js', '--version'], RUNS);
measure('astha --help (sources via tsx)', ['--import', 'tsx', 'lib/cli/run.ts', '--help'], Math.min(RUNS, 5));
console.log(`astha's own share of --help (median over bare node): ${(help - bare).toFixed(0)} ms`);
console.log(`target astha --help < ${TARGET_MS} ms: ${help < TARGET_MS ? 'met' : 'NOT met'}`);
