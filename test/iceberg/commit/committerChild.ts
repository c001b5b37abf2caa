/**
 * One updater process for the cross-process race: prints `ready`, waits for a line on stdin
 * (so all committers start together), then runs commitPending on the table until nothing is
 * pending, and prints one JSON line with what it committed.
 *
 *   committerChild.ts <registry url> <store url> <s3 endpoint> <table id> <max files per commit>
 */
import { createInterface } from 'node:readline';
import { commitPending } from '../../../lib/iceberg/commitPending.js';
import { openRegistry } from '../../../lib/registry/registry.js';
import { openStore } from '../../../lib/store/openStore.js';

async function main(): Promise<void> {
  const [registryUrl, storeUrl, endpoint, tableId, maxFiles] = process.argv.slice(2);
  const registry = await openRegistry(registryUrl ?? '');
  const store = openStore(storeUrl ?? '', {
    aws: { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
  });
  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  const deps = {
    registry,
    store,
    limits: { maxFilesPerCommit: Number(maxFiles), maxAttempts: 60, baseDelayMs: 10, maxDelayMs: 500 },
  };
  const commits: Array<{ files: number; attempts: number; version: number }> = [];
  const errors: string[] = [];
  for (;;) {
    try {
      const result = await commitPending(Number(tableId), deps);
      if (result === 'nothing pending') break;
      commits.push({ files: result.filesAdded, attempts: result.attempts, version: result.version });
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
      if (errors.length > 20) break;
    }
  }
  registry.close();
  lines.close();
  process.stdout.write(`${JSON.stringify({ pid: process.pid, commits, errors })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
