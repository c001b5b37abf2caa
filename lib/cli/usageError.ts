/** A mistake the user can fix (unknown command, bad argument): one line, exit code 2. */
import { AsthaError } from '../errors.js';

export class UsageError extends AsthaError {
  constructor(message: string) {
    super('usage', message);
  }
}
