/** Entry point of the `astha` command: runs `main` and sets the exit code. */
import { errorMessage } from '../errors.js';
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`astha: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  },
);
