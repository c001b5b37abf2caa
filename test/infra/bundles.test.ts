/**
 * The Lambda bundles built from the real `functions/` handlers wherever they exist (stand-ins
 * for the rest): their size, that they import nothing but Node built-ins at run time (the
 * AWS SDK is bundled), that the native libSQL binding is left out, and that each one loads.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FUNCTIONS_DIR } from '../../infra/paths.js';
import {
  type BundleSize,
  bundleSizes,
  existingHandlers,
  HANDLER_FILES,
  ofType,
  realWhereAvailableDir,
  removeSynth,
  type Synthesised,
  synthStack,
  SYNTH_LIMIT_MS,
} from './synthStack.js';

const MAX_BUNDLE_BYTES = 1.5 * 1024 * 1024;
/** The stand-in handlers bundle to a few hundred bytes; a real handler is far larger. */
const STAND_IN_MAX_BYTES = 1000;
const ENTRY_OF: Record<string, string> = {
  'astha-register': 'register.ts',
  'astha-drain': 'drain.ts',
  'astha-iceberg-updater': 'iceberg-updater.ts',
  'astha-metadata-orchestrator': 'metadata-orchestrator.ts',
  'astha-snapshotter': 'snapshotter.ts',
  'astha-compactor': 'compactor.ts',
  'astha-rest-catalog': 'rest-catalog.ts',
};

/*
 * Loaded by the S3 client inside try/catch only for SigV4a (multi-region access points) and
 * the CRT signer, neither of which astha uses; their absence is the SDK's normal case.
 */
const OPTIONAL_SDK_MODULES = ['@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a'];

let synth: Synthesised;
let handlerDir: string;
let sizes: BundleSize[];
const real = existingHandlers();

beforeAll(() => {
  handlerDir = realWhereAvailableDir();
  console.log(
    `real handlers in functions/: ${real.join(', ') || 'none'}; stand-ins for: ${
      HANDLER_FILES.filter((f) => !real.includes(f)).join(', ') || 'none'
    }; synthesising ${handlerDir === DEFAULT_FUNCTIONS_DIR ? 'the default entries (functions/)' : 'a mixed directory'}`,
  );
  synth = synthStack(handlerDir === DEFAULT_FUNCTIONS_DIR ? {} : { functionsDir: handlerDir });
  sizes = bundleSizes(synth);
  for (const s of sizes) {
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(`bundle ${s.functionName}: index.mjs ${kb(s.codeBytes)}, index.mjs.map ${kb(s.mapBytes)}`);
  }
}, SYNTH_LIMIT_MS);

function bundleFile(functionName: string): string {
  const fn = ofType(synth.resources, 'AWS::Lambda::Function').find(
    ([, r]) => r.Properties?.['FunctionName'] === functionName,
  );
  const code = fn?.[1].Properties?.['Code'] as { S3Key?: string } | undefined;
  if (code?.S3Key === undefined) throw new Error(`no bundled code for ${functionName}`);
  return join(synth.outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs');
}

function bundleText(functionName: string): string {
  return readFileSync(bundleFile(functionName), 'utf8');
}

afterAll(() => removeSynth(synth, handlerDir));

describe('bundles', () => {
  it('builds one bundle per function, each under 1.5 MB', () => {
    expect(sizes.map((s) => s.functionName).sort()).toEqual(Object.keys(ENTRY_OF).sort());
    for (const s of sizes) expect(s.codeBytes, s.functionName).toBeLessThan(MAX_BUNDLE_BYTES);
  });

  it('bundles the real handler wherever functions/ has it', () => {
    for (const s of sizes) {
      const entry = ENTRY_OF[s.functionName] ?? '';
      if (real.includes(entry)) expect(s.codeBytes, s.functionName).toBeGreaterThan(STAND_IN_MAX_BYTES);
      else expect(s.codeBytes, s.functionName).toBeLessThanOrEqual(STAND_IN_MAX_BYTES);
    }
  });

  it('imports only Node built-ins at run time: the SDK and every dependency are inside', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    for (const s of sizes) {
      const text = bundleText(s.functionName);
      const imports = [...text.matchAll(/(?:^|[;})\n])import\s*(?:[\w$*{},\s]*?from\s*)?["']([^"']+)["']/g)];
      const dynamic = [...text.matchAll(/\bimport\(["']([^"']+)["']\)/g)];
      const requires = [...text.matchAll(/\brequire\(["']([^"']+)["']\)/g)];
      const specifiers = [...imports, ...dynamic, ...requires].map((m) => m[1] ?? '');
      expect(specifiers, s.functionName).toContain('node:module'); // the createRequire banner
      for (const spec of specifiers) {
        const allowed = builtins.has(spec) || OPTIONAL_SDK_MODULES.includes(spec);
        expect(allowed, `${s.functionName}: ${spec}`).toBe(true);
      }
    }
  });

  it('leaves the native libSQL binding out', () => {
    for (const s of sizes) {
      const text = bundleText(s.functionName);
      expect(text, s.functionName).not.toMatch(/@libsql\/(linux|darwin|win32)-/);
    }
  });

  it('each bundle loads as an ES module under Node and exports handler', () => {
    for (const s of sizes) {
      const file = bundleFile(s.functionName);
      const probe = `import(${JSON.stringify(file)}).then(m => console.log(typeof m.handler))`;
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          PATH: process.env['PATH'] ?? '',
          AWS_REGION: 'us-east-1',
          ASTHA_WAREHOUSE: 's3://bucket/warehouse',
          ASTHA_COMPONENT_QUEUES: '{}',
        },
      });
      expect(result.stderr, s.functionName).toBe('');
      expect(result.stdout.trim(), s.functionName).toBe('function');
    }
  });
});
