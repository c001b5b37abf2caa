#!/usr/bin/env node
// The `astha` command: checks the Node version, then runs the build in dist/ (`npm run build`;
// `npm pack` builds it). In a source checkout without a build it falls back to the TypeScript
// sources through tsx (a development dependency).
const SUPPORTED = { min: 20, max: 24 };
const major = Number(process.versions.node.split('.')[0]);
if (major < SUPPORTED.min) {
  process.stderr.write(
    `astha needs Node.js ${SUPPORTED.min} to ${SUPPORTED.max}; this is Node.js ${process.versions.node}. ` +
      'Install a supported version (https://nodejs.org) and try again.\n',
  );
  process.exit(1);
}

try {
  await import('../dist/cli/astha.js');
} catch (error) {
  const missingBuild =
    error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/astha.js');
  if (!missingBuild) throw error;
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    process.stderr.write('astha: dist/ is missing: run `npm run build` first\n');
    process.exit(1);
  }
  tsx.register();
  await import('../lib/cli/run.ts');
}
