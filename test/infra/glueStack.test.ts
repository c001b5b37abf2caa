/**
 * The stack with `glue`: catalog_sync deployed on its own FIFO queue and dead-letter queue,
 * fed by the drainer, configured by environment, and allowed exactly four Glue actions on the
 * catalog, the `<prefix>*` databases and their tables (no `*` resource, no S3). Without `glue`
 * nothing of it exists. Stand-in handlers, except one synthesis that bundles the real one.
 */
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import { AsthaStack, type AsthaStackProps } from '../../infra/asthaStack.js';
import { cdkJsonContext, HANDLER_FILES } from './synthStack.js';
import { DEFAULT_FUNCTIONS_DIR, PROJECT_ROOT } from '../../infra/paths.js';
import { propsFromContext } from '../../infra/propsFromContext.js';
import { actionsOf, resourcesOf, roleOfFunction, statementsOfRole } from './iamStatements.js';
import {
  FIXTURE_FUNCTIONS_DIR,
  ofType,
  removeSynth,
  type Synthesised,
  synthStack,
  SYNTH_LIMIT_MS,
} from './synthStack.js';

const CATALOG = '210987654321';

function functionEnv(synth: Pick<Synthesised, 'resources'>, name: string): Record<string, unknown> {
  const found = ofType(synth.resources, 'AWS::Lambda::Function').find(
    ([, r]) => r.Properties?.['FunctionName'] === name,
  );
  return (
    (found?.[1].Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables ?? {}
  );
}

function queueNames(synth: Pick<Synthesised, 'resources'>): string[] {
  return ofType(synth.resources, 'AWS::SQS::Queue').map(([, r]) => String(r.Properties?.['QueueName']));
}

/** `Fn::Join` of an ARN as one string with the pseudo parameters named. */
function arnText(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return JSON.stringify(resource);
  return join[1]
    .map((part) => (typeof part === 'string' ? part : `{${(part as { Ref?: string }).Ref}}`))
    .join(join[0]);
}

/** The template without bundling any function (wiring and IAM only): fast. */
function templateOnly(props: AsthaStackProps): Pick<Synthesised, 'resources'> {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new AsthaStack(app, 'Astha', { functionsDir: FIXTURE_FUNCTIONS_DIR, ...props });
  return {
    resources: (Template.fromStack(stack).toJSON() as { Resources: Synthesised['resources'] }).Resources,
  };
}

describe('stack with glue', () => {
  const synth = templateOnly({ glue: { databasePrefix: 'lake_', catalogId: CATALOG } });
  const plain = templateOnly({});

  it('deploys catalog_sync on a FIFO queue with a dead-letter queue, fed by the drainer, configured by environment', () => {
    expect(queueNames(synth)).toEqual(
      expect.arrayContaining(['astha-catalog-sync.fifo', 'astha-catalog-sync-dlq.fifo']),
    );
    const env = functionEnv(synth, 'astha-catalog-sync');
    expect(env).toMatchObject({ ASTHA_GLUE_DATABASE_PREFIX: 'lake_', ASTHA_GLUE_CATALOG_ID: CATALOG });
    expect(JSON.stringify(functionEnv(synth, 'astha-drain')['ASTHA_COMPONENT_QUEUES'])).toContain(
      'catalog_sync',
    );
    expect(functionEnv(synth, 'astha-compactor')['ASTHA_GLUE_DATABASE_PREFIX']).toBeUndefined();
  });

  it('grants four Glue actions on the catalog, <prefix>* databases and their tables only, and no S3', () => {
    const statements = statementsOfRole(
      synth.resources,
      roleOfFunction(synth.resources, 'astha-catalog-sync'),
    );
    const glue = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('glue:')));
    expect(glue).toHaveLength(1);
    expect(actionsOf(glue[0]!).sort()).toEqual([
      'glue:CreateDatabase',
      'glue:CreateTable',
      'glue:GetTable',
      'glue:UpdateTable',
    ]);
    expect(resourcesOf(glue[0]!).map(arnText).sort()).toEqual([
      `arn:{AWS::Partition}:glue:{AWS::Region}:${CATALOG}:catalog`,
      `arn:{AWS::Partition}:glue:{AWS::Region}:${CATALOG}:database/lake_*`,
      `arn:{AWS::Partition}:glue:{AWS::Region}:${CATALOG}:table/lake_*/*`,
    ]);
    for (const statement of statements) {
      expect(resourcesOf(statement)).not.toContain('*');
      expect(actionsOf(statement).filter((a) => a.startsWith('s3:'))).toEqual([]);
    }
    // It writes nothing to the registry, so it has no drainer to nudge.
    expect(statements.flatMap(actionsOf)).not.toContain('lambda:InvokeFunction');
    // Nobody else may touch Glue.
    for (const name of ['astha-compactor', 'astha-drain', 'astha-register']) {
      const others = statementsOfRole(synth.resources, roleOfFunction(synth.resources, name));
      expect(others.flatMap(actionsOf).filter((a) => a.startsWith('glue:'))).toEqual([]);
    }
  });

  it('without glue (the default) has no catalog_sync and no Glue grant', () => {
    expect(queueNames(plain).filter((n) => n.includes('catalog-sync'))).toEqual([]);
    const names = ofType(plain.resources, 'AWS::Lambda::Function').map(
      ([, r]) => r.Properties?.['FunctionName'],
    );
    expect(names).not.toContain('astha-catalog-sync');
    expect(JSON.stringify(plain.resources)).not.toContain('glue:');
  });
});

describe('glue props', () => {
  it('rejects prefixes Glue would not keep, bad account ids, and catalog_sync without glue', () => {
    const build = (props: object) =>
      new AsthaStack(new App(), 'A', { functionsDir: FIXTURE_FUNCTIONS_DIR, ...props });
    expect(() => build({ glue: { databasePrefix: 'Lake' } })).toThrow(/databasePrefix/);
    expect(() => build({ glue: { databasePrefix: 'lake_', catalogId: '12' } })).toThrow(/catalogId/);
    expect(() => build({ components: ['iceberg_updater', 'catalog_sync'] })).toThrow(/needs the glue prop/);
  });

  it('reads glueDatabasePrefix and glueCatalogId from context', () => {
    const context: Record<string, string> = { glueDatabasePrefix: 'lake_', glueCatalogId: CATALOG };
    expect(propsFromContext((key) => context[key]).glue).toEqual({
      databasePrefix: 'lake_',
      catalogId: CATALOG,
    });
    expect(propsFromContext(() => undefined).glue).toBeUndefined();
    expect(() => propsFromContext((key) => (key === 'glueCatalogId' ? CATALOG : undefined))).toThrow(
      /glueDatabasePrefix/,
    );
  });
});

describe('the real catalog-sync handler', () => {
  let synth: Synthesised;
  beforeAll(() => {
    // Inside the project (.cache/): the bundler wants entries under its root. Stand-ins for the rest.
    mkdirSync(join(PROJECT_ROOT, '.cache'), { recursive: true });
    const dir = mkdtempSync(join(PROJECT_ROOT, '.cache', 'glue-handlers-'));
    for (const file of HANDLER_FILES) symlinkSync(join(FIXTURE_FUNCTIONS_DIR, file), join(dir, file));
    symlinkSync(join(DEFAULT_FUNCTIONS_DIR, 'catalog-sync.ts'), join(dir, 'catalog-sync.ts'));
    synth = synthStack({ functionsDir: dir, glue: { databasePrefix: 'lake_' } });
    handlerDir = dir;
  }, SYNTH_LIMIT_MS);
  let handlerDir: string;
  afterAll(() => removeSynth(synth, handlerDir));

  it('bundles with the Glue client inside and loads as an ES module exporting handler', () => {
    const fn = ofType(synth.resources, 'AWS::Lambda::Function').find(
      ([, r]) => r.Properties?.['FunctionName'] === 'astha-catalog-sync',
    );
    const code = fn?.[1].Properties?.['Code'] as { S3Key: string } | undefined;
    const key = String(code?.S3Key).replace(/\.zip$/, '');
    const file = join(synth.outdir, `asset.${key}`, 'index.mjs');
    const probe = `import(${JSON.stringify(file)}).then(m => console.log(typeof m.handler))`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
    expect(result.stdout.trim(), result.stderr).toBe('function');
  });
});
