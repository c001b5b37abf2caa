/**
 * The other shapes of the stack: an imported bucket with all four components and an alarm
 * topic; a KMS-encrypted, versioned bucket used whole; and the parameters' validation.
 */
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsthaStack, normaliseKeyPrefix } from '../../infra/asthaStack.js';
import { parseComponents } from '../../infra/components.js';
import { propsFromContext } from '../../infra/propsFromContext.js';
import {
  actionSetOfRole,
  actionsOf,
  objectKeyPattern,
  policyStatements,
  resourcesOf,
  roleOfFunction,
  s3GrantsOfRole,
  statementsOfRole,
} from './iamStatements.js';
import {
  FIXTURE_FUNCTIONS_DIR,
  ofType,
  removeSynth,
  type Synthesised,
  single,
  synthStack,
  SYNTH_LIMIT_MS,
} from './synthStack.js';

type Props = Record<string, unknown>;
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/libsql-AbCdEf';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:astha-alarms';

function functionEnv(synth: Synthesised, name: string): Props {
  const found = ofType(synth.resources, 'AWS::Lambda::Function').find(
    ([, r]) => r.Properties?.['FunctionName'] === name,
  );
  return (found?.[1].Properties?.['Environment'] as { Variables?: Props } | undefined)?.Variables ?? {};
}

describe('imported bucket, all four components, alarm topic, user files handed to cleanup', () => {
  let synth: Synthesised;
  beforeAll(() => {
    synth = synthStack({
      functionsDir: FIXTURE_FUNCTIONS_DIR,
      existingBucketName: 'my-lake',
      warehousePrefix: '/lake/tables/',
      components: ['iceberg_updater', 'metadata_orchestrator', 'snapshotter', 'compactor'],
      libsql: { secretArn: SECRET_ARN },
      alarmTopicArn: TOPIC_ARN,
      deleteReplacedUserFiles: true,
    });
  }, SYNTH_LIMIT_MS);
  afterAll(() => removeSynth(synth));

  it('creates no bucket and wires notifications through the CDK custom resource, unmanaged', () => {
    synth.template.resourceCountIs('AWS::S3::Bucket', 0);
    synth.template.resourceCountIs('AWS::S3::BucketPolicy', 0);
    const [, notifications] = single(synth.resources, 'Custom::S3BucketNotifications');
    expect(notifications['BucketName']).toBe('my-lake');
    expect(notifications['Managed']).toBe(false);
    const configs = (notifications['NotificationConfiguration'] as { QueueConfigurations: Props[] })
      .QueueConfigurations;
    expect(configs.map((c) => c['Events'])).toEqual([['s3:ObjectCreated:*'], ['s3:ObjectRemoved:*']]);
    for (const c of configs) {
      expect(c['Filter']).toEqual({
        Key: {
          FilterRules: expect.arrayContaining([
            { Name: 'prefix', Value: 'lake/tables/' },
            { Name: 'suffix', Value: '.parquet' },
          ]),
        },
      });
    }
  });

  it('deploys one FIFO queue, DLQ and function per component, and the drainer knows exactly those', () => {
    synth.template.resourceCountIs('AWS::SQS::Queue', 10);
    synth.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 5);
    const fifo = ofType(synth.resources, 'AWS::SQS::Queue').filter(
      ([, q]) => q.Properties?.['FifoQueue'] === true,
    );
    expect(fifo).toHaveLength(8);
    const queues = JSON.stringify(functionEnv(synth, 'astha-drain')['ASTHA_COMPONENT_QUEUES']);
    for (const c of ['iceberg_updater', 'metadata_orchestrator', 'snapshotter', 'compactor']) {
      expect(queues).toContain(`\\"${c}\\":\\"`);
    }
    const role = roleOfFunction(synth.resources, 'astha-drain');
    const send = statementsOfRole(synth.resources, role).filter((s) =>
      actionsOf(s).includes('sqs:SendMessage'),
    );
    expect(send.flatMap(resourcesOf)).toHaveLength(4);
  });

  it('starts the snapshotter tick every minute, besides its queue', () => {
    const rules = ofType(synth.resources, 'AWS::Events::Rule');
    expect(rules).toHaveLength(2);
    const tick = rules.find(([, r]) => r.Properties?.['Name'] === 'astha-snapshotter-tick');
    expect(tick?.[1].Properties?.['ScheduleExpression']).toBe('rate(1 minute)');
    const target = JSON.stringify(tick?.[1].Properties?.['Targets']);
    const snapshotterFn = ofType(synth.resources, 'AWS::Lambda::Function').find(
      ([, f]) => f.Properties?.['FunctionName'] === 'astha-snapshotter',
    );
    expect(target).toContain(snapshotterFn?.[0]);
  });

  it('under an imported bucket and prefix: compactor writes only its outputs, snapshotter (opted in) deletes data, others only metadata', () => {
    const arn = (key: string) => `arn:\u0000:s3:::my-lake/lake/tables/${key}`;
    const keys = (fn: string, action: string) =>
      [
        ...new Set(
          s3GrantsOfRole(synth.resources, roleOfFunction(synth.resources, fn)).flatMap((g) =>
            g.action === action ? [String(g.key)] : [],
          ),
        ),
      ].sort();
    const metadata = 'lake/tables/*/metadata/*';
    const outputs = 'lake/tables/*/data/*_astha-compacted-*.parq';
    expect(objectKeyPattern(arn('*/data/*'))).toBe('lake/tables/*/data/*');
    expect(keys('astha-compactor', 's3:PutObject')).toEqual([outputs, metadata].sort());
    expect(keys('astha-compactor', 's3:AbortMultipartUpload')).toEqual([outputs]);
    expect(keys('astha-compactor', 's3:DeleteObject')).toEqual([metadata]);
    expect(keys('astha-snapshotter', 's3:PutObject')).toEqual([metadata]);
    expect(keys('astha-snapshotter', 's3:DeleteObject')).toEqual(['lake/tables/*/data/*', metadata].sort());
    for (const fn of ['astha-iceberg-updater', 'astha-metadata-orchestrator']) {
      expect(keys(fn, 's3:PutObject'), fn).toEqual([metadata]);
      expect(keys(fn, 's3:DeleteObject'), fn).toEqual([metadata]);
    }
    // The literal ARN CDK writes for an imported bucket, so the patterns above are what IAM sees.
    const compactor = statementsOfRole(synth.resources, roleOfFunction(synth.resources, 'astha-compactor'));
    const abort = compactor
      .filter((s) => actionsOf(s).includes('s3:AbortMultipartUpload'))
      .flatMap(resourcesOf);
    expect(abort.map((r) => JSON.stringify(r))).toEqual([
      '{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":s3:::my-lake/lake/tables/*/data/*_astha-compacted-*.parq"]]}',
    ]);
  });

  it('no policy, including the notifications handler, grants s3/sqs on "*"', () => {
    for (const { statement } of policyStatements(synth.resources)) {
      for (const action of actionsOf(statement)) expect(action).not.toMatch(/^\*$|^[a-z0-9-]+:\*$/);
      if (!actionsOf(statement).some((a) => a.startsWith('s3:') || a.startsWith('sqs:'))) continue;
      for (const resource of resourcesOf(statement)) {
        expect(resource).not.toBe('*');
        expect(JSON.stringify(resource)).not.toMatch(/:::\*"|:::my-lake\/\*"/);
      }
    }
  });

  it('passes the secret ARN as given and grants exactly that secret', () => {
    expect(functionEnv(synth, 'astha-register')['ASTHA_LIBSQL_SECRET_ARN']).toBe(SECRET_ARN);
    const role = roleOfFunction(synth.resources, 'astha-register');
    const secret = statementsOfRole(synth.resources, role).find((s) =>
      actionsOf(s).includes('secretsmanager:GetSecretValue'),
    );
    expect(secret?.Resource).toBe(SECRET_ARN);
    expect(functionEnv(synth, 'astha-register')['ASTHA_WAREHOUSE']).toBe('s3://my-lake/lake/tables');
  });

  it('alarms on all five DLQs plus backlog age, drain errors and registration age, each notifying the topic', () => {
    const alarms = ofType(synth.resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});
    expect(alarms).toHaveLength(8);
    for (const a of alarms) {
      expect(a['AlarmActions']).toEqual([TOPIC_ARN]);
      expect(a['OKActions']).toEqual([TOPIC_ARN]);
    }
  });
});

describe('KMS-encrypted versioned bucket used whole', () => {
  let synth: Synthesised;
  beforeAll(() => {
    synth = synthStack({
      functionsDir: FIXTURE_FUNCTIONS_DIR,
      namePrefix: 'dev-astha',
      encryption: 'KMS',
      versioned: true,
      warehousePrefix: '',
    });
  }, SYNTH_LIMIT_MS);
  afterAll(() => removeSynth(synth));

  it('encrypts with a rotating customer key and S3 Bucket Keys, versioned', () => {
    const [keyId, key] = single(synth.resources, 'AWS::KMS::Key');
    expect(key['EnableKeyRotation']).toBe(true);
    const [, bucket] = single(synth.resources, 'AWS::S3::Bucket');
    expect(bucket['VersioningConfiguration']).toEqual({ Status: 'Enabled' });
    expect(bucket['BucketEncryption']).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
          },
        },
      ],
    });
  });

  it('readers may decrypt, writers may also generate data keys, the drainer neither', () => {
    const kms = (fn: string) =>
      actionSetOfRole(synth.resources, roleOfFunction(synth.resources, fn)).filter((a) =>
        a.startsWith('kms:'),
      );
    expect(kms('dev-astha-register')).toEqual(['kms:Decrypt']);
    expect(kms('dev-astha-iceberg-updater')).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    // A multipart upload under SSE-KMS needs both: a data key to start, Decrypt to add parts.
    expect(kms('dev-astha-compactor')).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(kms('dev-astha-snapshotter')).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(kms('dev-astha-drain')).toEqual([]);
  });

  it('with an empty prefix notifications filter on the suffix only and temp objects live at the root', () => {
    const [, bucket] = single(synth.resources, 'AWS::S3::Bucket');
    const notification = JSON.stringify(bucket['NotificationConfiguration']);
    expect(notification).toContain('"Rules":[{"Name":"suffix","Value":".parquet"}]');
    expect(JSON.stringify(bucket['LifecycleConfiguration'])).toContain('"Prefix":"_astha/tmp/"');
    expect(functionEnv(synth, 'dev-astha-register')['ASTHA_WAREHOUSE']).toEqual({
      'Fn::Join': ['', ['s3://', { Ref: single(synth.resources, 'AWS::S3::Bucket')[0] }, '/']],
    });
  });
});

describe('parameters', () => {
  it('rejects a name prefix that cannot be part of bucket and queue names', () => {
    expect(
      () =>
        new AsthaStack(new App(), 'Bad', {
          namePrefix: 'Astha_Prod',
          functionsDir: FIXTURE_FUNCTIONS_DIR,
        }),
    ).toThrow(/namePrefix "Astha_Prod"/);
  });

  it('rejects an empty or repeated component list and unknown names', () => {
    expect(
      () => new AsthaStack(new App(), 'Bad', { components: [], functionsDir: FIXTURE_FUNCTIONS_DIR }),
    ).toThrow(/at least one/);
    expect(() => parseComponents('iceberg_updater,iceberg_updater')).toThrow(/listed twice/);
    expect(() => parseComponents('iceberg_updater,vacuum')).toThrow(/unknown component "vacuum"/);
  });

  it('names the missing handler file instead of failing inside the bundler', () => {
    expect(
      () => new AsthaStack(new App(), 'Bad', { functionsDir: join(FIXTURE_FUNCTIONS_DIR, 'nowhere') }),
    ).toThrow(/astha-register: handler .*nowhere\/register\.ts does not exist/);
  });

  it('wants exactly one way to find the libSQL secret', () => {
    expect(
      () =>
        new AsthaStack(new App(), 'Bad', {
          libsql: { secretArn: SECRET_ARN, secretName: 'astha/libsql' },
          functionsDir: FIXTURE_FUNCTIONS_DIR,
        }),
    ).toThrow(/exactly one/);
  });

  it('normalises the warehouse prefix and refuses wildcards', () => {
    expect(normaliseKeyPrefix('warehouse')).toBe('warehouse/');
    expect(normaliseKeyPrefix('/a/b/')).toBe('a/b/');
    expect(normaliseKeyPrefix('')).toBe('');
    expect(() => normaliseKeyPrefix('a/*')).toThrow(/plain key prefix/);
  });

  it('reads every parameter from CDK context strings', () => {
    const context: Record<string, string> = {
      namePrefix: 'lake',
      existingBucketName: 'my-lake',
      warehousePrefix: 'tables',
      encryption: 'kms',
      versioned: 'true',
      libsqlSecretName: 'lake/libsql',
      logRetentionDays: '7',
      tempObjectExpirationDays: '3',
      components: 'iceberg_updater, snapshotter',
      alarmTopicArn: TOPIC_ARN,
      drainMemorySize: '512',
      drainPollIntervalMs: '250',
      backlogAgeAlarmSeconds: '120',
    };
    const props = propsFromContext((key) => context[key]);
    expect(props).toMatchObject({
      namePrefix: 'lake',
      existingBucketName: 'my-lake',
      warehousePrefix: 'tables',
      encryption: 'KMS',
      versioned: true,
      libsql: { secretName: 'lake/libsql', secretArn: undefined },
      logRetention: RetentionDays.ONE_WEEK,
      tempObjectExpirationDays: 3,
      components: ['iceberg_updater', 'snapshotter'],
      alarmTopicArn: TOPIC_ARN,
      drainMemorySize: 512,
      drainPollIntervalMs: 250,
    });
    expect(props.backlogAgeAlarmThreshold?.toSeconds()).toBe(120);
    expect(props.libsql).toBeDefined();
    expect(propsFromContext(() => undefined).libsql).toBeUndefined();
  });

  it('rejects context values of the wrong shape', () => {
    expect(() => propsFromContext((k) => (k === 'encryption' ? 'aes' : undefined))).toThrow(
      /S3_MANAGED or KMS/,
    );
    expect(() => propsFromContext((k) => (k === 'logRetentionDays' ? '8' : undefined))).toThrow(/retention/);
    expect(() => propsFromContext((k) => (k === 'versioned' ? 'yes' : undefined))).toThrow(/true or false/);
    expect(() => propsFromContext((k) => (k === 'drainMemorySize' ? '-1' : undefined))).toThrow(
      /positive integer/,
    );
  });
});
