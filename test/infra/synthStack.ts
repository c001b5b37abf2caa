import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AsthaStack, type AsthaStackProps } from '../../infra/asthaStack.js';
import { DEFAULT_FUNCTIONS_DIR, PROJECT_ROOT } from '../../infra/paths.js';

/** Hook bound for a synthesis with bundling: generous, since the machine may be busy. */
export const SYNTH_LIMIT_MS = 240_000;

/** Stand-in handlers for functions whose real file does not exist yet. */
export const FIXTURE_FUNCTIONS_DIR = fileURLToPath(new URL('./fixtures/functions', import.meta.url));

/** Every handler file the stack can reference (register, drain, the four components, the REST catalog). */
export const HANDLER_FILES = [
  'register.ts',
  'drain.ts',
  'iceberg-updater.ts',
  'metadata-orchestrator.ts',
  'snapshotter.ts',
  'compactor.ts',
  'rest-catalog.ts',
] as const;

/** The handler files the default stack (all four components) references. */
export const DEFAULT_STACK_HANDLERS: readonly string[] = HANDLER_FILES;

export type CfnResource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] };

export interface Synthesised {
  readonly template: Template;
  readonly resources: Record<string, CfnResource>;
  /** The cloud assembly directory (bundled assets are in `asset.<hash>/`). */
  readonly outdir: string;
}

/** The context of cdk.json (feature flags), so tests synthesise what `npx cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** Synthesises one AsthaStack into a fresh temporary cloud assembly (bundling every function). */
export function synthStack(props: AsthaStackProps): Synthesised {
  const outdir = mkdtempSync(join(tmpdir(), 'astha-cdk-'));
  const app = new App({ outdir, context: cdkJsonContext() });
  const stack = new AsthaStack(app, 'Astha', props);
  const template = Template.fromStack(stack);
  const resources = (template.toJSON() as { Resources: Record<string, CfnResource> }).Resources;
  return { template, resources, outdir };
}

/** Removes a synthesised assembly (bundles included) and, if one was made, a mixed handler directory. */
export function removeSynth(synth: Synthesised | undefined, handlerDir?: string): void {
  if (synth) rmSync(synth.outdir, { recursive: true, force: true });
  if (handlerDir !== undefined && handlerDir !== DEFAULT_FUNCTIONS_DIR)
    rmSync(handlerDir, { recursive: true, force: true });
}

export function ofType(resources: Record<string, CfnResource>, type: string): [string, CfnResource][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

/** The one resource of a type, as [logical id, properties]; throws unless there is exactly one. */
export function single(
  resources: Record<string, CfnResource>,
  type: string,
): [string, Record<string, unknown>] {
  const found = ofType(resources, type);
  if (found.length !== 1 || !found[0]) throw new Error(`expected one ${type}, found ${found.length}`);
  return [found[0][0], found[0][1].Properties ?? {}];
}

/** Real handlers present in `functions/` today. */
export function existingHandlers(): string[] {
  return HANDLER_FILES.filter((f) => existsSync(join(DEFAULT_FUNCTIONS_DIR, f)));
}

/**
 * A handler directory with the real `functions/` files where they exist (symlinks, so esbuild
 * resolves their imports from the real location) and fixtures for the rest. When every handler
 * of the default stack exists this is simply `functions/` itself: the stack's true default.
 */
export function realWhereAvailableDir(): string {
  const real = existingHandlers();
  if (DEFAULT_STACK_HANDLERS.every((f) => real.includes(f))) return DEFAULT_FUNCTIONS_DIR;
  // Inside the project (git-ignored .cache/): the bundler wants entries under its project root.
  const cache = join(PROJECT_ROOT, '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'infra-handlers-'));
  for (const file of HANDLER_FILES) {
    const source = real.includes(file)
      ? join(DEFAULT_FUNCTIONS_DIR, file)
      : join(FIXTURE_FUNCTIONS_DIR, file);
    symlinkSync(source, join(dir, file));
  }
  return dir;
}

export interface BundleSize {
  readonly functionName: string;
  readonly codeBytes: number;
  readonly mapBytes: number;
}

/** Size of each function's bundled `index.mjs` (and its source map) in the cloud assembly. */
export function bundleSizes(synth: Synthesised): BundleSize[] {
  return ofType(synth.resources, 'AWS::Lambda::Function').flatMap(([, r]) => {
    const props = r.Properties as { FunctionName?: string; Code: { S3Key?: string } };
    if (props.FunctionName === undefined || props.Code.S3Key === undefined) return [];
    const dir = join(synth.outdir, `asset.${props.Code.S3Key.replace(/\.zip$/, '')}`);
    return [
      {
        functionName: props.FunctionName,
        codeBytes: statSync(join(dir, 'index.mjs')).size,
        mapBytes: statSync(join(dir, 'index.mjs.map')).size,
      },
    ];
  });
}
