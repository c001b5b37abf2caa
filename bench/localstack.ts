/**
 * LocalStack S3 for benchmarks: a fresh bucket's store when LocalStack answers on
 * 127.0.0.1:4566, undefined otherwise (the benchmark then says it skipped S3).
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../lib/aws/awsOptions.js';
import { S3Store } from '../lib/store/s3Store.js';

export const LOCALSTACK = 'http://127.0.0.1:4566';

export async function localstackS3(prefix: string): Promise<S3Store | undefined> {
  try {
    const health = await fetch(`${LOCALSTACK}/_localstack/health`, { signal: AbortSignal.timeout(2_000) });
    if (!health.ok) return undefined;
  } catch {
    return undefined;
  }
  const client = new S3Client(
    s3ClientConfig({
      endpoint: LOCALSTACK,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
  );
  const bucket = `astha-bench-${Date.now().toString(36)}-${process.pid}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return new S3Store(bucket, prefix, client, {});
}
