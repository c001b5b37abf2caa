/**
 * The default stack (new bucket, all four components), synthesised once against the stand-in
 * handlers, checked resource by resource from the template.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASTHA_METRICS } from '../../infra/constructs/monitoring.js';
import { DrainMetrics, emptyCounters, emptyPass, metricsDocuments } from '../../lib/astha/metrics.js';
import { rewriteGroup } from '../../lib/compactor/rewriteFiles.js';
import type { LiveFile } from '../../lib/registry/compactionState.js';
import { parseWarehouseKey } from '../../lib/layout/warehousePath.js';
import { MemoryStore } from '../../lib/store/memoryStore.js';
import {
  actionSetOfRole,
  actionsOf,
  iamPatternMatches,
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

let synth: Synthesised;

beforeAll(() => {
  synth = synthStack({ functionsDir: FIXTURE_FUNCTIONS_DIR });
}, SYNTH_LIMIT_MS);
afterAll(() => removeSynth(synth));

type Props = Record<string, unknown>;
const props = (id: string): Props => synth.resources[id]?.Properties ?? {};
const queues = () => ofType(synth.resources, 'AWS::SQS::Queue');
const queueNamed = (name: string): [string, Props] => {
  const found = queues().find(([, r]) => r.Properties?.['QueueName'] === name);
  if (!found) throw new Error(`no queue ${name}`);
  return [found[0], found[1].Properties ?? {}];
};
const functionNamed = (name: string): Props => {
  const found = ofType(synth.resources, 'AWS::Lambda::Function').find(
    ([, r]) => r.Properties?.['FunctionName'] === name,
  );
  if (!found) throw new Error(`no function ${name}`);
  return found[1].Properties ?? {};
};
const ref = (id: string) => ({ Ref: id });
const envOf = (fn: Props): Props => (fn['Environment'] as { Variables?: Props } | undefined)?.Variables ?? {};

/** The literal strings of a template value, leaving out references to other resources. */
function literals(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(literals);
  if (value && typeof value === 'object') {
    if ('Ref' in value || 'Fn::GetAtt' in value) return [];
    return Object.values(value).flatMap(literals);
  }
  return [];
}

/** The metric-math expressions of the dashboard, from its body with references blanked out. */
function dashboardExpressions(): string[] {
  const [, dashboard] = single(synth.resources, 'AWS::CloudWatch::Dashboard');
  const join = dashboard['DashboardBody'] as { 'Fn::Join': [string, unknown[]] };
  const text = join['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'REF')).join('');
  const body = JSON.parse(text) as { widgets: { properties: { metrics?: unknown[][] } }[] };
  return body.widgets.flatMap((w) =>
    (w.properties.metrics ?? []).flatMap((m) =>
      m.flatMap((x) => (x && typeof x === 'object' && 'expression' in x ? [String(x.expression)] : [])),
    ),
  );
}
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

const COMPONENTS = [
  { queue: 'astha-iceberg-updater', fn: 'astha-iceberg-updater' },
  { queue: 'astha-metadata-orchestrator', fn: 'astha-metadata-orchestrator' },
  { queue: 'astha-snapshotter', fn: 'astha-snapshotter' },
  { queue: 'astha-compactor', fn: 'astha-compactor' },
];

describe('resources', () => {
  it('has exactly the expected resource counts', () => {
    const t = synth.template;
    t.resourceCountIs('AWS::S3::Bucket', 1);
    t.resourceCountIs('AWS::S3::BucketPolicy', 1);
    t.resourceCountIs('AWS::SQS::Queue', 10); // register + DLQ, four components x (FIFO + FIFO DLQ)
    t.resourceCountIs('AWS::Lambda::Function', 7); // register, drain, four components, REST catalog: no helper Lambdas
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 5);
    t.resourceCountIs('AWS::IAM::Role', 7);
    t.resourceCountIs('AWS::Logs::LogGroup', 7);
    t.resourceCountIs('AWS::Events::Rule', 2); // the drainer's minute and the snapshotter's tick
    t.resourceCountIs('AWS::CloudWatch::Alarm', 8); // 5 DLQs + CDC backlog age + drain errors + registration age
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.resourceCountIs('Custom::S3BucketNotifications', 0);
  });
});

describe('outputs and nudges', () => {
  it('outputs the bucket, the warehouse URI, the queue URLs and the drain function', () => {
    const outputs = synth.template.toJSON()['Outputs'] as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'BucketName',
        'WarehouseUri',
        'RegistrationQueueUrl',
        'RegistrationDeadLetterQueueUrl',
        'ComponentQueueUrls',
        'ComponentDeadLetterQueueUrls',
        'DrainFunctionName',
      ]),
    );
    const [bucketId] = single(synth.resources, 'AWS::S3::Bucket');
    expect(outputs['WarehouseUri']?.Value).toEqual({
      'Fn::Join': ['', ['s3://', ref(bucketId), '/warehouse']],
    });
    expect(outputs['RegistrationQueueUrl']?.Value).toEqual(ref(queueNamed('astha-register')[0]));
    expect(JSON.stringify(outputs['ComponentQueueUrls']?.Value)).toContain(
      `"Ref":"${queueNamed('astha-iceberg-updater.fifo')[0]}"`,
    );
    expect(outputs['DrainFunctionName']?.Value).toBe('astha-drain');
  });

  it('every function but the read-only catalog may invoke the drain function (the nudge), nothing else in Lambda', () => {
    for (const [id, fn] of ofType(synth.resources, 'AWS::Lambda::Function')) {
      const name = String(fn.Properties?.['FunctionName']);
      const role = roleOfFunction(synth.resources, name);
      const invokes = statementsOfRole(synth.resources, role).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('lambda:')),
      );
      if (name === 'astha-rest-catalog') {
        expect(invokes, id).toEqual([]);
        continue;
      }
      expect(invokes.flatMap(actionsOf), id).toEqual(['lambda:InvokeFunction']);
      expect(JSON.stringify(invokes.flatMap(resourcesOf)), id).toMatch(/:function:astha-drain"/);
    }
  });
});

describe('bucket', () => {
  it('blocks public access, is encrypted, owner-enforced and retained', () => {
    const [id, bucket] = single(synth.resources, 'AWS::S3::Bucket');
    expect(bucket['PublicAccessBlockConfiguration']).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(JSON.stringify(bucket['BucketEncryption'])).toContain('AES256');
    expect(synth.resources[id]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('denies every request without TLS in the bucket policy', () => {
    synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('expires only astha temporary objects', () => {
    synth.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'warehouse/_astha/tmp/', ExpirationInDays: 2, Status: 'Enabled' }),
        ]),
      },
    });
    const rules = JSON.stringify(synth.template.findResources('AWS::S3::Bucket'));
    expect(rules.match(/ExpirationInDays/g)).toHaveLength(1);
  });

  it('notifies the registration queue of created and removed .parquet files under the prefix', () => {
    const [registerQueueId] = queueNamed('astha-register');
    const [bucketId, bucket] = single(synth.resources, 'AWS::S3::Bucket');
    const rules = [
      { Name: 'prefix', Value: 'warehouse/' },
      { Name: 'suffix', Value: '.parquet' },
    ];
    expect(bucket['NotificationConfiguration']).toEqual({
      QueueConfigurations: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'].map((Event) => ({
        Event,
        Queue: arnOf(registerQueueId),
        Filter: { S3Key: { Rules: rules } },
      })),
    });
    const policyId = ofType(synth.resources, 'AWS::SQS::QueuePolicy').find(([, p]) =>
      JSON.stringify(p.Properties?.['Queues']).includes(registerQueueId),
    )?.[0];
    expect(synth.resources[bucketId]?.DependsOn).toContain(policyId);
  });

  it('lets only S3 from this bucket send to the registration queue', () => {
    const [registerQueueId] = queueNamed('astha-register');
    synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(registerQueueId)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 's3.amazonaws.com' },
            Condition: Match.objectLike({
              ArnEquals: { 'aws:SourceArn': Match.anyValue() },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            }),
          }),
        ]),
      },
    });
  });
});

describe('queues', () => {
  it('every queue is SQS-encrypted and TLS-only', () => {
    for (const [id, q] of queues()) {
      expect(q.Properties?.['SqsManagedSseEnabled'], id).toBe(true);
      const policy = ofType(synth.resources, 'AWS::SQS::QueuePolicy').find(([, p]) =>
        JSON.stringify(p.Properties?.['Queues']).includes(`"${id}"`),
      );
      expect(JSON.stringify(policy?.[1].Properties), id).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('every queue that is not a DLQ redrives to its own DLQ', () => {
    const sources = queues().filter(([, q]) => !String(q.Properties?.['QueueName']).includes('-dlq'));
    expect(sources).toHaveLength(5);
    for (const [, q] of sources) {
      const name = String(q.Properties?.['QueueName']);
      const [dlqId] = queueNamed(name.replace(/(\.fifo)?$/, '-dlq$1'));
      const expected = name === 'astha-register' ? 5 : 30;
      expect(q.Properties?.['RedrivePolicy'], name).toEqual({
        deadLetterTargetArn: arnOf(dlqId),
        maxReceiveCount: expected,
      });
    }
  });

  it('component queues and their DLQs are FIFO without content-based deduplication', () => {
    for (const { queue } of COMPONENTS) {
      for (const name of [`${queue}.fifo`, `${queue}-dlq.fifo`]) {
        const [, q] = queueNamed(name);
        expect(q['FifoQueue'], name).toBe(true);
        expect(q['ContentBasedDeduplication'], name).toBe(false);
      }
      const [, main] = queueNamed(`${queue}.fifo`);
      expect(main['DeduplicationScope']).toBe('messageGroup');
      expect(main['FifoThroughputLimit']).toBe('perMessageGroupId');
    }
    const [, register] = queueNamed('astha-register');
    expect(register['FifoQueue']).toBeUndefined();
  });

  it('visibility timeout is at least 6x the timeout of the consuming function', () => {
    const pairs = [
      { queue: 'astha-register', fn: 'astha-register' },
      ...COMPONENTS.map((c) => ({ ...c, queue: `${c.queue}.fifo` })),
    ];
    for (const { queue, fn } of pairs) {
      const [, q] = queueNamed(queue);
      const timeout = Number(functionNamed(fn)['Timeout']);
      expect(timeout).toBeGreaterThan(0);
      expect(Number(q['VisibilityTimeout']), queue).toBeGreaterThanOrEqual(6 * timeout);
    }
  });
});

describe('functions', () => {
  it('all run nodejs24.x on arm64 with an ESM bundle and source maps', () => {
    for (const [id, fn] of ofType(synth.resources, 'AWS::Lambda::Function')) {
      expect(fn.Properties?.['Runtime'], id).toBe('nodejs24.x');
      expect(fn.Properties?.['Architectures'], id).toEqual(['arm64']);
      expect(fn.Properties?.['Handler'], id).toBe('index.handler');
      const env = envOf(fn.Properties ?? {});
      expect(env['NODE_OPTIONS'], id).toBe('--enable-source-maps');
    }
  });

  it('each SQS consumer has its queue as event source with partial batch responses', () => {
    const expectations = [
      { fn: 'astha-register', queue: 'astha-register', batch: 10, window: 5 },
      ...COMPONENTS.map((c) => ({
        fn: c.fn,
        queue: `${c.queue}.fifo`,
        // One table per compactor invocation: a look may rewrite for 400 s of its 900.
        batch: c.fn === 'astha-compactor' ? 1 : 10,
        window: undefined,
      })),
    ];
    const mappings = ofType(synth.resources, 'AWS::Lambda::EventSourceMapping');
    for (const e of expectations) {
      const [queueId] = queueNamed(e.queue);
      const fnId = ofType(synth.resources, 'AWS::Lambda::Function').find(
        ([, r]) => r.Properties?.['FunctionName'] === e.fn,
      )?.[0];
      const mapping = mappings.filter(
        ([, m]) => JSON.stringify(m.Properties?.['FunctionName']) === JSON.stringify(ref(fnId ?? '')),
      );
      expect(mapping, e.fn).toHaveLength(1);
      const p = mapping[0]?.[1].Properties ?? {};
      expect(p['EventSourceArn']).toEqual(arnOf(queueId));
      expect(p['FunctionResponseTypes']).toEqual(['ReportBatchItemFailures']);
      expect(p['BatchSize']).toBe(e.batch);
      expect(Number(p['BatchSize'])).toBeLessThanOrEqual(10);
      expect(p['MaximumBatchingWindowInSeconds']).toBe(e.window);
    }
  });

  it('drain runs every minute, alone, for at most 60 s, without retries of a missed tick', () => {
    const drain = functionNamed('astha-drain');
    expect(drain['ReservedConcurrentExecutions']).toBe(1);
    expect(drain['Timeout']).toBe(60);
    expect(drain['MemorySize']).toBe(256);
    const drainId = ofType(synth.resources, 'AWS::Lambda::Function').find(
      ([, r]) => r.Properties?.['FunctionName'] === 'astha-drain',
    )?.[0] as string;
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: arnOf(drainId),
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        }),
      ],
    });
    synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(drainId),
      MaximumRetryAttempts: 0,
    });
  });

  it('drain gets the queue URLs of exactly the deployed components', () => {
    const env = (functionNamed('astha-drain')['Environment'] as { Variables: Props }).Variables;
    const resolved = (v: unknown) => JSON.stringify(v);
    const queuesEnv = resolved(env['ASTHA_COMPONENT_QUEUES']);
    const dlqsEnv = resolved(env['ASTHA_COMPONENT_DLQS']);
    for (const { queue } of COMPONENTS) {
      expect(queuesEnv).toContain(`"Ref":"${queueNamed(`${queue}.fifo`)[0]}"`);
      expect(dlqsEnv).toContain(`"Ref":"${queueNamed(`${queue}-dlq.fifo`)[0]}"`);
    }
    for (const c of ['iceberg_updater', 'metadata_orchestrator', 'snapshotter', 'compactor']) {
      expect(queuesEnv).toContain(`\\"${c}\\":\\"`);
      expect(dlqsEnv).toContain(`\\"${c}\\":\\"`);
    }
  });

  it('the snapshotter is started once a minute besides its queue, without retries of a missed tick', () => {
    const snapshotterId = ofType(synth.resources, 'AWS::Lambda::Function').find(
      ([, r]) => r.Properties?.['FunctionName'] === 'astha-snapshotter',
    )?.[0] as string;
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'astha-snapshotter-tick',
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: arnOf(snapshotterId),
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        }),
      ],
    });
  });

  it('the compactor has exactly one vCPU (1,769 MB) and the 900 s maximum; every visibility timeout fits SQS', () => {
    const compactor = functionNamed('astha-compactor');
    expect(compactor['MemorySize']).toBe(1769);
    expect(compactor['Timeout']).toBe(900);
    expect(queueNamed('astha-compactor.fifo')[1]['VisibilityTimeout']).toBe(5400);
    for (const [id, q] of queues()) {
      const visibility = Number(q.Properties?.['VisibilityTimeout'] ?? 30);
      expect(visibility, id).toBeLessThanOrEqual(12 * 60 * 60);
    }
  });

  it('every function logs to its own log group with a retention', () => {
    for (const [id, fn] of ofType(synth.resources, 'AWS::Lambda::Function')) {
      const logGroup =
        (fn.Properties?.['LoggingConfig'] as { LogGroup: { Ref: string } } | undefined)?.LogGroup.Ref ?? '';
      expect(props(logGroup)['RetentionInDays'], id).toBe(30);
      expect(props(logGroup)['LogGroupName']).toBe(`/aws/lambda/${fn.Properties?.['FunctionName']}`);
    }
  });

  it('every function gets the warehouse URL, the log level and the secret ARN; drain also its queues, components their timeout', () => {
    const common = [
      'ASTHA_DRAIN_FUNCTION',
      'ASTHA_LIBSQL_SECRET_ARN',
      'ASTHA_LOG_LEVEL',
      'ASTHA_WAREHOUSE',
      'NODE_OPTIONS',
    ];
    const timeouts: Record<string, string> = {
      'astha-iceberg-updater': '60',
      'astha-metadata-orchestrator': '60',
      'astha-snapshotter': '120',
      'astha-compactor': '900',
    };
    const drainOnly = [
      'ASTHA_COMPONENT_DLQS',
      'ASTHA_COMPONENT_QUEUES',
      'ASTHA_DRAIN_MARGIN_MS',
      'ASTHA_DRAIN_POLL_MS',
    ];
    for (const [id, fn] of ofType(synth.resources, 'AWS::Lambda::Function')) {
      const env = envOf(fn.Properties ?? {});
      const name = String(fn.Properties?.['FunctionName']);
      const timeout = timeouts[name];
      const expected =
        name === 'astha-drain'
          ? [...common, ...drainOnly]
          : timeout
            ? [...common, 'ASTHA_FUNCTION_TIMEOUT_SECONDS']
            : common;
      expect(Object.keys(env).sort(), id).toEqual(expected.sort());
      // Their commit claims are dead once the function's timeout has passed (claimOwner.ts).
      if (timeout) {
        expect(env['ASTHA_FUNCTION_TIMEOUT_SECONDS'], name).toBe(timeout);
        expect(fn.Properties?.['Timeout'], name).toBe(Number(timeout));
      }
      const [bucketId] = single(synth.resources, 'AWS::S3::Bucket');
      expect(env['ASTHA_WAREHOUSE']).toEqual({ 'Fn::Join': ['', ['s3://', ref(bucketId), '/warehouse']] });
      expect(env['ASTHA_DRAIN_FUNCTION'], id).toBe('astha-drain');
    }
    const drain = (functionNamed('astha-drain')['Environment'] as { Variables: Props }).Variables;
    expect(drain['ASTHA_DRAIN_MARGIN_MS']).toBe('5000');
    expect(drain['ASTHA_DRAIN_POLL_MS']).toBe('100');
  });

  it('no environment variable carries a secret: only the secret ARN', () => {
    for (const [id, fn] of ofType(synth.resources, 'AWS::Lambda::Function')) {
      const env = envOf(fn.Properties ?? {});
      expect(JSON.stringify(env['ASTHA_LIBSQL_SECRET_ARN']), id).toContain(':secret:astha/libsql');
      for (const [name, value] of Object.entries(env)) {
        expect(name, id).not.toMatch(/TOKEN|PASSWORD|CREDENTIAL|AUTH/i);
        for (const text of literals(value))
          expect(text, `${id} ${name}`).not.toMatch(
            /eyJ[A-Za-z0-9_-]{10,}|libsql:\/\/|authToken|[A-Za-z0-9+/]{40,}/,
          );
      }
    }
  });
});

describe('least privilege', () => {
  const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
  const SECRET = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
  const NUDGE = ['lambda:InvokeFunction'];
  const CONSUME = [
    'sqs:ChangeMessageVisibility',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sqs:ReceiveMessage',
  ];
  const sorted = (...lists: string[][]) => [...new Set(lists.flat())].sort();

  it('no statement allows a * action, s3:* or sqs:*', () => {
    const all = policyStatements(synth.resources);
    expect(all.length).toBeGreaterThan(10);
    for (const { statement } of all) {
      for (const action of actionsOf(statement)) expect(action).not.toMatch(/^\*$|^[a-z0-9-]+:\*$/);
    }
  });

  it('no s3 or sqs action is granted on Resource "*" or on a whole bucket of objects', () => {
    for (const { statement } of policyStatements(synth.resources)) {
      if (!actionsOf(statement).some((a) => a.startsWith('s3:') || a.startsWith('sqs:'))) continue;
      for (const resource of resourcesOf(statement)) {
        expect(resource).not.toBe('*');
        const text = JSON.stringify(resource);
        expect(text).not.toMatch(/"\*"|:::\*|"\/\*"\]/);
      }
    }
  });

  it('roles carry no managed policies', () => {
    for (const [id, role] of ofType(synth.resources, 'AWS::IAM::Role')) {
      expect(role.Properties?.['ManagedPolicyArns'], id).toBeUndefined();
    }
  });

  it('register: read the warehouse prefix, consume its queue, read the secret', () => {
    const role = roleOfFunction(synth.resources, 'astha-register');
    expect(actionSetOfRole(synth.resources, role)).toEqual(
      sorted(LOGS, SECRET, CONSUME, NUDGE, ['s3:GetObject', 's3:ListBucket']),
    );
    const statements = statementsOfRole(synth.resources, role);
    const get = statements.find((s) => actionsOf(s).includes('s3:GetObject'));
    expect(JSON.stringify(get?.Resource)).toMatch(/"\/warehouse\/\*"\]/);
    const list = statements.find((s) => actionsOf(s).includes('s3:ListBucket'));
    expect(list?.Condition).toEqual({ StringLike: { 's3:prefix': ['warehouse/*'] } });
    const consume = statements.find((s) => actionsOf(s).includes('sqs:ReceiveMessage'));
    expect(consume?.Resource).toEqual(arnOf(queueNamed('astha-register')[0]));
  });

  const METADATA = 'warehouse/*/metadata/*';
  const DATA = 'warehouse/*/data/*';
  const COMPACTED = 'warehouse/*/data/*_astha-compacted-*.parq';
  const USER_FILES = [
    'warehouse/sales/orders/data/part-0.parquet',
    'warehouse/ns/t/data/region=eu/x.parquet',
  ];
  const grantsOf = (fn: string) => s3GrantsOfRole(synth.resources, roleOfFunction(synth.resources, fn));
  const keysOf = (fn: string, action: string) =>
    [...new Set(grantsOf(fn).flatMap((g) => (g.action === action ? [String(g.key)] : [])))].sort();
  /** Whether any of the role's grants of `action` reaches `key`. */
  const allows = (fn: string, action: string, key: string) =>
    keysOf(fn, action).some((pattern) => iamPatternMatches(pattern, key));

  it('components: read the prefix, write and delete table metadata, consume their own queue', () => {
    for (const { fn, queue } of COMPONENTS) {
      const role = roleOfFunction(synth.resources, fn);
      const abort = fn === 'astha-compactor' ? ['s3:AbortMultipartUpload'] : [];
      expect(actionSetOfRole(synth.resources, role), fn).toEqual(
        sorted(LOGS, SECRET, CONSUME, NUDGE, abort, [
          's3:GetObject',
          's3:ListBucket',
          's3:PutObject',
          's3:DeleteObject',
        ]),
      );
      expect(keysOf(fn, 's3:GetObject'), fn).toEqual(['warehouse/*']);
      expect(keysOf(fn, 's3:PutObject'), fn).toContain(METADATA);
      expect(keysOf(fn, 's3:DeleteObject'), fn).toContain(METADATA);
      const consume = statementsOfRole(synth.resources, role).find((s) =>
        actionsOf(s).includes('sqs:ReceiveMessage'),
      );
      expect(consume?.Resource).toEqual(arnOf(queueNamed(`${queue}.fifo`)[0]));
    }
  });

  it('iceberg_updater and metadata_orchestrator change nothing under data/', () => {
    for (const fn of ['astha-iceberg-updater', 'astha-metadata-orchestrator']) {
      expect(keysOf(fn, 's3:PutObject'), fn).toEqual([METADATA]);
      expect(keysOf(fn, 's3:DeleteObject'), fn).toEqual([METADATA]);
      for (const key of USER_FILES) {
        expect(allows(fn, 's3:PutObject', key), `${fn} ${key}`).toBe(false);
        expect(allows(fn, 's3:DeleteObject', key), `${fn} ${key}`).toBe(false);
      }
    }
  });

  it('the compactor writes only its own outputs under data/ (multipart included) and deletes no data', () => {
    const fn = 'astha-compactor';
    expect(keysOf(fn, 's3:PutObject')).toEqual([COMPACTED, METADATA].sort());
    expect(keysOf(fn, 's3:AbortMultipartUpload')).toEqual([COMPACTED]);
    expect(keysOf(fn, 's3:DeleteObject')).toEqual([METADATA]);
    for (const key of keysOf(fn, 's3:PutObject').filter((k) => k.includes('/data/')))
      expect(key).toMatch(/^warehouse\/\*\/data\/\*_astha-compacted-\*\.parq$/);
    // A user's file, even one that borrows the prefix of the compactor's names, stays out of reach.
    for (const key of [...USER_FILES, 'warehouse/ns/t/data/_astha-compacted-x.parquet']) {
      for (const action of ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'])
        expect(allows(fn, action, key), `${action} ${key}`).toBe(false);
    }
  });

  it("the compactor's data grant covers every key the compactor writes", async () => {
    const store = new MemoryStore();
    const bytes = new Uint8Array(
      parquetWriteBuffer({ columnData: [{ name: 'id', data: BigInt64Array.from([1n, 2n]), type: 'INT64' }] }),
    );
    const written: string[] = [];
    for (const partitionPath of ['', 'region=eu/day=2026-11-27']) {
      const files: LiveFile[] = [];
      for (const n of [1, 2]) {
        const path = `sales/orders/data/${partitionPath ? `${partitionPath}/` : ''}in-${n}.parquet`;
        await store.put(path, bytes);
        const uri = `${store.url}/${path}`;
        files.push({
          id: n,
          path,
          uri,
          size: bytes.length,
          rowCount: 2,
          partitionPath,
          partitionValuesJson: '{}',
          asthaWritten: false,
        });
      }
      const outputs = await rewriteGroup(
        { partitionPath, files, bytes: 2 * bytes.length, rows: 4 },
        {
          store,
          tableKeyPrefix: 'sales/orders',
          schema: {
            type: 'struct',
            'schema-id': 0,
            fields: [{ id: 1, name: 'id', required: false, type: 'long' }],
          },
          spec: { specId: 0, fields: [] },
          targetFileSizeBytes: 1 << 20,
        },
      );
      written.push(...outputs.map((o) => o.path));
    }
    expect(written).toHaveLength(2);
    expect(written[1]).toContain('/region=eu/day=2026-11-27/');
    for (const key of written) {
      expect(await store.head(key), key).toBeDefined();
      expect(allows('astha-compactor', 's3:PutObject', `warehouse/${key}`), key).toBe(true);
      expect(allows('astha-compactor', 's3:AbortMultipartUpload', `warehouse/${key}`), key).toBe(true);
    }
  });

  it('the snapshotter deletes compaction outputs only, no user file, and writes no data', () => {
    const fn = 'astha-snapshotter';
    expect(keysOf(fn, 's3:DeleteObject')).toEqual([COMPACTED, METADATA].sort());
    expect(keysOf(fn, 's3:PutObject')).toEqual([METADATA]);
    expect(keysOf(fn, 's3:AbortMultipartUpload')).toEqual([]);
    expect(keysOf(fn, 's3:DeleteObject')).not.toContain(DATA);
    for (const key of [...USER_FILES, 'warehouse/ns/t/data/_astha-compacted-x.parquet']) {
      expect(allows(fn, 's3:DeleteObject', key), key).toBe(false);
      expect(allows(fn, 's3:PutObject', key), key).toBe(false);
    }
    const output = `warehouse/ns/t/data/day=2026-01-01/_astha-compacted-${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}.parq`;
    expect(allows(fn, 's3:DeleteObject', output)).toBe(true);
  });

  it('no data file the layout accepts falls under a metadata grant, and no metadata key under a data grant', () => {
    const candidates = [
      ...USER_FILES,
      // A table or namespace named like a table folder, a directory named metadata under data/.
      'warehouse/ns/metadata/data/x.parquet',
      'warehouse/metadata/t/data/x.parquet',
      'warehouse/ns/data/data/x.parquet',
      'warehouse/data/t/data/x.parquet',
      'warehouse/ns/t/data/metadata/x.parquet',
      'warehouse/ns/t/data/day=1/metadata/x.parquet',
      'warehouse/ns/t/data/metadata=1/x.parquet',
      'warehouse/ns/t/data/k=a%2Fmetadata%2Fb/x.parquet',
      'warehouse/ns/data/metadata/v1.metadata.json',
      'warehouse/ns/t/metadata/v1.metadata.json',
      'warehouse/ns/t/metadata/snap-1-x.avro',
    ];
    const functions = [...COMPONENTS.map((c) => c.fn), 'astha-register', 'astha-drain'];
    let dataFiles = 0;
    let metadataFiles = 0;
    for (const key of candidates) {
      const parsed = parseWarehouseKey(key, 'warehouse');
      if (parsed.kind === 'invalid') continue;
      const isData = parsed.kind === 'data';
      if (isData) dataFiles++;
      else metadataFiles++;
      for (const fn of functions) {
        for (const { action, key: pattern } of grantsOf(fn)) {
          if (action === 's3:GetObject' || action === 's3:ListBucket' || pattern === undefined) continue;
          if (!iamPatternMatches(pattern, key)) continue;
          // A grant that reaches this key must be one made for keys of its kind.
          expect(pattern.includes('/data/'), `${fn} ${action} ${pattern} reaches ${key}`).toBe(isData);
        }
      }
    }
    expect(dataFiles).toBeGreaterThanOrEqual(3);
    expect(metadataFiles).toBeGreaterThanOrEqual(2);
  });

  it('no role writes or deletes bucket-wide or outside a table folder', () => {
    const reads = new Set(['s3:GetObject', 's3:ListBucket']);
    const functions = ofType(synth.resources, 'AWS::Lambda::Function').map(([, r]) =>
      String(r.Properties?.['FunctionName']),
    );
    expect(functions).toHaveLength(7);
    let writes = 0;
    for (const fn of functions) {
      for (const { action, key } of grantsOf(fn)) {
        if (reads.has(action)) continue;
        writes++;
        expect(key, `${fn} ${action}`).toMatch(/^warehouse\/\*\/(metadata|data)\/\*/);
        // Nothing outside a table folder: not the prefix itself, not astha's own area.
        for (const outside of ['warehouse/x.parquet', 'other/ns/t/data/a.parquet', 'warehouse/_astha/tmp/a'])
          expect(iamPatternMatches(String(key), outside), `${fn} ${action} ${outside}`).toBe(false);
      }
    }
    expect(writes).toBeGreaterThanOrEqual(10);
  });

  it('drain: send to component queues, read attributes of them and their DLQs, read the secret; no S3', () => {
    const role = roleOfFunction(synth.resources, 'astha-drain');
    expect(actionSetOfRole(synth.resources, role)).toEqual(
      sorted(LOGS, SECRET, NUDGE, ['sqs:GetQueueAttributes', 'sqs:SendMessage']),
    );
    const statements = statementsOfRole(synth.resources, role);
    const send = statements.filter((s) => actionsOf(s).includes('sqs:SendMessage')).flatMap(resourcesOf);
    expect(send).toEqual(
      expect.arrayContaining(COMPONENTS.map((c) => arnOf(queueNamed(`${c.queue}.fifo`)[0]))),
    );
    expect(send).toHaveLength(COMPONENTS.length);
    const attrs = statements
      .filter((s) => actionsOf(s).includes('sqs:GetQueueAttributes'))
      .flatMap(resourcesOf);
    expect(attrs).toHaveLength(COMPONENTS.length * 2);
  });

  it('the secret grant names one secret, not a wildcard of secrets', () => {
    for (const { statement } of policyStatements(synth.resources)) {
      if (!actionsOf(statement).some((a) => a.startsWith('secretsmanager:'))) continue;
      expect(JSON.stringify(statement.Resource)).toContain(':secret:astha/libsql-??????');
    }
  });
});

describe('observability', () => {
  const alarms = () => ofType(synth.resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});

  it('alarms when any dead-letter queue holds a message', () => {
    const dlqs = queues().filter(([, q]) => String(q.Properties?.['QueueName']).includes('-dlq'));
    expect(dlqs).toHaveLength(5);
    for (const [dlqId] of dlqs) {
      const alarm = alarms().find(
        (a) =>
          a['MetricName'] === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a['Dimensions']).includes(`"${dlqId}"`),
      );
      expect(alarm, dlqId).toMatchObject({
        Namespace: 'AWS/SQS',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('alarms on the CDC backlog age from the Astha EMF metrics', () => {
    expect(alarms()).toContainEqual(
      expect.objectContaining({
        Namespace: 'Astha',
        MetricName: 'CdcBacklogAgeSeconds',
        Dimensions: [{ Name: 'service', Value: 'astha-drain' }],
        Threshold: 300,
        ComparisonOperator: 'GreaterThanThreshold',
        // Metrics are emitted only when something happened: an idle stack has no data points.
        TreatMissingData: 'notBreaching',
      }),
    );
  });

  it('no alarm fires on an idle stack: every alarm treats missing data as not breaching', () => {
    for (const a of alarms()) expect(a['TreatMissingData'], String(a['AlarmName'])).toBe('notBreaching');
    expect(alarms()).toContainEqual(
      expect.objectContaining({
        AlarmName: 'astha-drain-errors',
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
      }),
    );
  });

  it("alarms on the registration queue's oldest message age", () => {
    const [registerId] = queueNamed('astha-register');
    const alarm = alarms().find((a) => a['MetricName'] === 'ApproximateAgeOfOldestMessage');
    expect(JSON.stringify(alarm?.['Dimensions'])).toContain(`"${registerId}"`);
    expect(alarm?.['Threshold']).toBe(900);
  });

  it('alarms have no actions unless a topic is given', () => {
    for (const a of alarms()) expect(a['AlarmActions']).toBeUndefined();
  });

  it('the dashboard graphs every metric the drainer emits, and the backlog alarm matches its dimensions', () => {
    const busy = new DrainMetrics();
    const components = emptyCounters();
    for (const counters of Object.values(components)) counters.sent = 1;
    busy.record({ ...emptyPass(), rows: 1, processed: 1, sendCalls: 1, committed: true, components });
    const documents = metricsDocuments(busy.snapshot(), { count: 1, oldestAgeSeconds: 1 }, new Map());
    const emitted = documents.flatMap((d) =>
      Object.keys(d.values).map((name) => ({ name, dims: Object.keys(d.dimensions) })),
    );
    expect(emitted.length).toBeGreaterThan(5);
    const expressions = dashboardExpressions();
    for (const { name } of emitted) {
      expect(expressions, name).toContain(
        `SEARCH('Namespace="Astha" MetricName="${name}"', '${ASTHA_METRICS[name]}', 60)`,
      );
    }
    expect(Object.keys(ASTHA_METRICS).sort()).toEqual([...new Set(emitted.map((e) => e.name))].sort());
    // Powertools adds its `service` dimension to these; the alarm names it (checked above).
    const backlog = emitted.find((e) => e.name === 'CdcBacklogAgeSeconds');
    expect(backlog?.dims).toEqual([]);
  });
});
