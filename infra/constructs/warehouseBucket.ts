import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  EventType,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { CfnQueuePolicy, Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Warehouse } from '../warehouseAccess.js';

export type BucketEncryptionChoice = 'S3_MANAGED' | 'KMS';

export interface WarehouseBucketProps {
  readonly namePrefix: string;
  /** Import this existing bucket instead of creating one. */
  readonly existingBucketName?: string;
  /** Name of the bucket to create (default `<namePrefix>-<account>-<region>`). */
  readonly bucketName?: string;
  readonly encryption: BucketEncryptionChoice;
  readonly versioned: boolean;
  /** Normalised key prefix: '' or `<prefix>/`. */
  readonly keyPrefix: string;
  /** Days after which astha's own temporary objects (`<prefix>_astha/tmp/`) expire. */
  readonly tempObjectExpirationDays: number;
}

const PARQUET_SUFFIX = '.parquet';

/**
 * The warehouse bucket. A created bucket is locked down (Block Public Access, TLS only,
 * bucket-owner objects, encryption, retained on stack deletion) and its notifications are
 * native CloudFormation. An imported bucket keeps its own settings; its notifications go
 * through CDK's notifications custom resource, which merges with notifications it does not own.
 */
export class WarehouseBucket extends Construct {
  readonly bucket: IBucket;
  readonly warehouse: Warehouse;
  private readonly created?: Bucket;
  /** The created bucket's name as a plain string (a Ref to the bucket would form a cycle). */
  private readonly createdName?: string;
  private readonly props: WarehouseBucketProps;

  constructor(scope: Construct, id: string, props: WarehouseBucketProps) {
    super(scope, id);
    this.props = props;
    if (props.existingBucketName !== undefined) {
      this.bucket = Bucket.fromBucketName(this, 'Imported', props.existingBucketName);
      this.warehouse = { bucket: this.bucket, keyPrefix: props.keyPrefix };
      return;
    }
    const key = props.encryption === 'KMS' ? this.createKey() : undefined;
    // An explicit name lets the queue policy name the bucket without a reference cycle.
    this.createdName = props.bucketName ?? `${props.namePrefix}-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
    this.created = new Bucket(this, 'Bucket', {
      bucketName: this.createdName,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: key ? BucketEncryption.KMS : BucketEncryption.S3_MANAGED,
      encryptionKey: key,
      bucketKeyEnabled: key !== undefined,
      versioned: props.versioned,
      lifecycleRules: [
        {
          id: 'astha-temporary-objects',
          prefix: `${props.keyPrefix}_astha/tmp/`,
          expiration: Duration.days(props.tempObjectExpirationDays),
          noncurrentVersionExpiration: props.versioned ? Duration.days(1) : undefined,
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
    });
    this.bucket = this.created;
    this.warehouse = { bucket: this.bucket, keyPrefix: props.keyPrefix, encryptionKey: key };
  }

  /** Sends ObjectCreated and ObjectRemoved of `<prefix>…*.parquet` to the (standard) queue. */
  notify(queue: Queue): void {
    const filter = { prefix: this.props.keyPrefix, suffix: PARQUET_SUFFIX };
    if (!this.created) {
      const destination = new SqsDestination(queue);
      this.bucket.addEventNotification(EventType.OBJECT_CREATED, destination, filter);
      this.bucket.addEventNotification(EventType.OBJECT_REMOVED, destination, filter);
      return;
    }
    this.notifyNatively(this.created, this.createdName ?? '', queue);
  }

  private notifyNatively(bucket: Bucket, bucketName: string, queue: Queue): void {
    queue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'S3WarehouseNotifications',
        principals: [new ServicePrincipal('s3.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: {
          ArnEquals: { 'aws:SourceArn': `arn:${Aws.PARTITION}:s3:::${bucketName}` },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    const rules = [
      ...(this.props.keyPrefix ? [{ name: 'prefix', value: this.props.keyPrefix }] : []),
      { name: 'suffix', value: PARQUET_SUFFIX },
    ];
    const configuration = (event: string) => ({
      event,
      queue: queue.queueArn,
      filter: { s3Key: { rules } },
    });
    const cfn = bucket.node.defaultChild as CfnBucket;
    cfn.notificationConfiguration = {
      queueConfigurations: [configuration('s3:ObjectCreated:*'), configuration('s3:ObjectRemoved:*')],
    };
    // S3 checks that it may send to the queue when the configuration is put.
    const policy = queue.node.findChild('Policy').node.defaultChild as CfnQueuePolicy;
    cfn.addResourceDependency(policy);
  }

  private createKey(): Key {
    return new Key(this, 'Key', {
      description: `${this.props.namePrefix} warehouse bucket encryption`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
