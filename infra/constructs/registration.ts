import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { grantWarehouseRead, type Warehouse } from '../warehouseAccess.js';
import { AsthaFunction, visibilityFor } from './asthaFunction.js';

export interface RegistrationProps {
  readonly namePrefix: string;
  readonly entry: string;
  readonly warehouse: Warehouse;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
}

export const REGISTER_TIMEOUT = Duration.seconds(60);
/** A notification that fails this often (unreadable footer, registry down) is parked in the DLQ. */
export const REGISTER_MAX_RECEIVE_COUNT = 5;
/** Caps concurrent registrations so a burst of uploads does not swamp the registry's single writer. */
export const REGISTER_MAX_CONCURRENCY = 5;

/**
 * S3 notifications → standard queue (S3 cannot notify FIFO queues) → register function,
 * which reads Parquet footers under the warehouse prefix and records them in the registry.
 */
export class Registration extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly function: AsthaFunction;

  constructor(scope: Construct, id: string, props: RegistrationProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      queueName: `${props.namePrefix}-register-dlq`,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      queueName: `${props.namePrefix}-register`,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: visibilityFor(REGISTER_TIMEOUT),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: REGISTER_MAX_RECEIVE_COUNT },
    });
    this.function = new AsthaFunction(this, 'Register', {
      functionName: `${props.namePrefix}-register`,
      entry: props.entry,
      timeout: REGISTER_TIMEOUT,
      memorySize: 512,
      logRetention: props.logRetention,
      environment: props.environment,
    });
    grantWarehouseRead(this.function.role, props.warehouse);
    this.function.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
        maxConcurrency: REGISTER_MAX_CONCURRENCY,
      }),
    );
  }
}
