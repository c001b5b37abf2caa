/**
 * The CDK stack's wiring, on LocalStack, for end-to-end tests in queues mode: a fresh bucket
 * notifying a standard registration queue (with its dead-letter queue) of ObjectCreated and
 * ObjectRemoved under the warehouse prefix, and one FIFO queue per component redriving to a
 * FIFO dead-letter queue. Returns the environment the runtime is configured from. Takes the
 * LocalStack access as an argument (no vitest import), so bench/e2e's latency mode uses it too.
 */
import { join } from 'node:path';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Component } from '../../lib/astha/subscriptions.js';
import { s3ClientConfig, sqsClientConfig } from '../../lib/aws/awsOptions.js';
import { createSqsQueue, queueArn } from '../../lib/queue/sqsQueue.js';
import { COMPONENT_MAX_RECEIVES, REGISTRATION_MAX_RECEIVES } from '../../lib/runtime/runtimeFromConfig.js';
import { uniqueName } from '../harness/processes.js';

export interface LocalstackAccess {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface LocalstackStack {
  s3: S3Client;
  bucket: string;
  env: Record<string, string>;
}

/** `prefix` ends in `/`; the registry lives in `dir`. */
export async function createLocalstackStack(
  aws: LocalstackAccess,
  dir: string,
  prefix: string,
  components: readonly Component[],
): Promise<LocalstackStack> {
  const { endpoint, region } = aws;
  const s3 = new S3Client(s3ClientConfig(aws));
  const sqs = new SQSClient(sqsClientConfig(aws));
  const bucket = uniqueName('astha-e2e');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));

  const registrationDlq = await createSqsQueue(sqs, { name: `${bucket}-register-dlq`, fifo: false });
  const registration = await createSqsQueue(sqs, {
    name: `${bucket}-register`,
    fifo: false,
    visibilityTimeout: 30,
    deadLetter: { url: registrationDlq, maxReceiveCount: REGISTRATION_MAX_RECEIVES },
  });
  const componentQueues: Record<string, string> = {};
  const componentDlqs: Record<string, string> = {};
  for (const component of components) {
    const name = `${bucket}-${component.replace('_', '-')}`;
    componentDlqs[component] = await createSqsQueue(sqs, { name: `${name}-dlq`, fifo: true });
    componentQueues[component] = await createSqsQueue(sqs, {
      name,
      fifo: true,
      visibilityTimeout: 30,
      deadLetter: { url: componentDlqs[component], maxReceiveCount: COMPONENT_MAX_RECEIVES },
    });
  }

  const filter = {
    Key: {
      FilterRules: [
        { Name: 'prefix' as const, Value: prefix },
        { Name: 'suffix' as const, Value: '.parquet' },
      ],
    },
  };
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            QueueArn: await queueArn(sqs, registration),
            Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'],
            Filter: filter,
          },
        ],
      },
    }),
  );
  const env = {
    ASTHA_REGISTRY_URL: `file:${join(dir, 'registry.db')}`,
    ASTHA_WAREHOUSE: `s3://${bucket}/${prefix.slice(0, -1)}`,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    ASTHA_REGISTRATION_QUEUE: registration,
    ASTHA_COMPONENT_QUEUES: JSON.stringify(componentQueues),
    ASTHA_COMPONENT_DLQS: JSON.stringify(componentDlqs),
  };
  return { s3, bucket, env };
}
