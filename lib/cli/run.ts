/** Entry point of the `astha` command: runs `main` and sets the exit code. */
import { errorMessage } from '../errors.js';
import { main } from './main.js';

// `astha show t | head`: the reader went away; nothing is left to say to it.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`astha: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  },
);
