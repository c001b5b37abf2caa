import type { SQSRecord } from 'aws-lambda';

/** A typed SQS record factory for handler tests. */
export function sqsRecord(
  body: string,
  overrides: { messageId?: string; groupId?: string; receiveCount?: number } = {},
): SQSRecord {
  const messageId = overrides.messageId ?? `m-${Math.random().toString(36).slice(2)}`;
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(overrides.receiveCount ?? 1),
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      ...(overrides.groupId === undefined ? {} : { MessageGroupId: overrides.groupId }),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test',
    awsRegion: 'us-east-1',
  };
}
