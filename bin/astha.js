#!/usr/bin/env node
// The `astha` command (`npx astha ...`): loads the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../lib/cli/run.ts');
