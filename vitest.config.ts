import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/globalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest runs CPUs - 1 files at once (one on a 2-core box), but most of the suite waits on
    // LocalStack, the Python readers and child processes: two at a time keeps both cores busy.
    maxWorkers: Math.max(2, availableParallelism()),
    // The JSON report lets .ci/run print a one-line "N passed, N failed" summary.
    reporters: ['default', ['json', { outputFile: '.cache/vitest-report.json' }]],
  },
});
