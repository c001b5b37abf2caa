/**
 * Child process for the cross-process lock test: holds the registry's write lock until a line
 * arrives on stdin. Usage: node --import tsx test/registry/lockHolder.ts <file: URL>
 */
import { createClient } from '@libsql/client';

const url = process.argv[2];
if (!url) throw new Error('usage: lockHolder.ts <file: URL>');
const client = createClient({ url });
const tx = await client.transaction('write');
await tx.execute("INSERT INTO namespaces (name) VALUES ('held_by_other_process')");
process.stdout.write('locked\n');
process.stdin.once('data', () => {
  void tx.commit().then(() => {
    client.close();
    process.stdout.write('released\n');
    process.exit(0);
  });
});
