// Prints "N passed, N failed[, N skipped]" from vitest's JSON report, for CI logs.
import { readFileSync } from 'node:fs';

const path = process.argv[2] ?? '.cache/vitest-report.json';
try {
  const report = JSON.parse(readFileSync(path, 'utf8'));
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  const tail = skipped > 0 ? `, ${skipped} skipped` : '';
  console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed${tail}`);
} catch (error) {
  console.log(`no vitest report at ${path}: ${error.message}`);
}
