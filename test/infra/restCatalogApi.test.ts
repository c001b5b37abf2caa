/**
 * The REST catalog in the stack: a Lambda behind an API Gateway REST API where every method
 * requires IAM (SigV4) authorization, reading only the registry secret and the tables'
 * `metadata/` objects, with the catalog URI as a stack output; and none of it when turned off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_STAGE } from '../../infra/constructs/restCatalogApi.js';
import { propsFromContext } from '../../infra/propsFromContext.js';
import { actionSetOfRole, iamPatternMatches, roleOfFunction, s3GrantsOfRole } from './iamStatements.js';
import {
  FIXTURE_FUNCTIONS_DIR,
  ofType,
  removeSynth,
  type Synthesised,
  SYNTH_LIMIT_MS,
  single,
  synthStack,
} from './synthStack.js';

let synth: Synthesised;

beforeAll(() => {
  synth = synthStack({ functionsDir: FIXTURE_FUNCTIONS_DIR, encryption: 'KMS' });
}, SYNTH_LIMIT_MS);
afterAll(() => removeSynth(synth));

describe('REST catalog API', () => {
  it('is a regional REST API whose every method requires IAM (SigV4) auth, proxying to the catalog function', () => {
    const [, api] = single(synth.resources, 'AWS::ApiGateway::RestApi');
    expect(api['Name']).toBe('astha-catalog');
    expect(api['EndpointConfiguration']).toEqual({ Types: ['REGIONAL'] });
    const methods = ofType(synth.resources, 'AWS::ApiGateway::Method');
    expect(methods.length).toBeGreaterThan(0);
    for (const [, method] of methods) expect(method.Properties?.['AuthorizationType']).toBe('AWS_IAM');
    const [, stage] = single(synth.resources, 'AWS::ApiGateway::Stage');
    expect(stage['StageName']).toBe(CATALOG_STAGE);
    expect(ofType(synth.resources, 'AWS::ApiGateway::Account')).toHaveLength(0);
  });

  it('grants the function the registry secret and GetObject on table metadata only', () => {
    const role = roleOfFunction(synth.resources, 'astha-rest-catalog');
    expect(actionSetOfRole(synth.resources, role)).toEqual([
      'kms:Decrypt',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    const keys = s3GrantsOfRole(synth.resources, role).map((g) => `${g.action} ${g.key}`);
    expect(keys).toEqual(['s3:GetObject warehouse/*/metadata/*']);
    const reaches = (key: string) => iamPatternMatches('warehouse/*/metadata/*', key);
    expect(reaches('warehouse/sales/orders/metadata/v3.metadata.json')).toBe(true);
    expect(reaches('warehouse/sales/orders/data/part-0.parquet')).toBe(false);
  });

  it('outputs the catalog URI (the stage URL)', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const uri = JSON.stringify(outputs['CatalogUri']?.Value);
    expect(uri).toContain('execute-api');
    expect(uri).toMatch(new RegExp(`/${CATALOG_STAGE}"\\]\\]}$`));
  });
});

describe('restCatalog=false', () => {
  it(
    'is read from context and leaves the API and its function out',
    () => {
      const props = propsFromContext((key) => (key === 'restCatalog' ? 'false' : undefined));
      expect(props.restCatalog).toBe(false);
      const off = synthStack({ ...props, functionsDir: FIXTURE_FUNCTIONS_DIR });
      try {
        expect(ofType(off.resources, 'AWS::ApiGateway::RestApi')).toHaveLength(0);
        const names = ofType(off.resources, 'AWS::Lambda::Function').map(
          ([, f]) => f.Properties?.['FunctionName'],
        );
        expect(names).not.toContain('astha-rest-catalog');
      } finally {
        removeSynth(off);
      }
    },
    SYNTH_LIMIT_MS,
  );
});
