import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type ComponentName, componentSpec } from '../components.js';
import { grantTableWrite, grantWarehouseRead, type Warehouse } from '../warehouseAccess.js';
import { AsthaFunction, visibilityFor } from './asthaFunction.js';

export interface ComponentWorkerProps {
  readonly namePrefix: string;
  readonly component: ComponentName;
  /** Directory holding `<slug>.ts` handler files. */
  readonly functionsDir: string;
  readonly warehouse: Warehouse;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
  /** Lets the snapshotter delete any data file (users' compacted-away originals), not only compaction outputs. */
  readonly deleteReplacedUserFiles?: boolean;
}

/** After this many receives a change goes to the component's dead-letter queue. */
export const COMPONENT_MAX_RECEIVE_COUNT = 30;

/**
 * One component: its FIFO queue (order per table = message group; Astha sets the
 * deduplication ids, so content-based deduplication is off), its FIFO dead-letter queue,
 * and its function with partial batch responses.
 */
export class ComponentWorker extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly function: AsthaFunction;

  constructor(scope: Construct, id: string, props: ComponentWorkerProps) {
    super(scope, id);
    const spec = componentSpec(props.component);
    const name = `${props.namePrefix}-${spec.slug}`;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      queueName: `${name}-dlq.fifo`,
      fifo: true,
      contentBasedDeduplication: false,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      queueName: `${name}.fifo`,
      fifo: true,
      contentBasedDeduplication: false,
      // High-throughput FIFO: each table is its own message group.
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: visibilityFor(spec.timeout),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: COMPONENT_MAX_RECEIVE_COUNT },
    });
    this.function = new AsthaFunction(this, 'Worker', {
      functionName: name,
      entry: join(props.functionsDir, spec.entryFile),
      timeout: spec.timeout,
      memorySize: spec.memorySize,
      logRetention: props.logRetention,
      // Bounds how long the function's commit claims can outlive it (lib/iceberg/commit/claimOwner.ts).
      environment: { ...props.environment, ASTHA_FUNCTION_TIMEOUT_SECONDS: String(spec.timeout.toSeconds()) },
    });
    if (spec.dataAccess !== 'noObjects') {
      grantWarehouseRead(this.function.role, props.warehouse);
      const handsOverUserFiles =
        spec.dataAccess === 'deleteCompactedOutputs' && props.deleteReplacedUserFiles;
      grantTableWrite(
        this.function.role,
        props.warehouse,
        handsOverUserFiles ? 'deleteDataFiles' : spec.dataAccess,
      );
    }
    this.function.fn.addEventSource(
      new SqsEventSource(this.queue, { batchSize: spec.batchSize, reportBatchItemFailures: true }),
    );
    if (props.component === 'snapshotter') {
      // The snapshotter's tick: time-based commits when no file arrives, expiration, cleanup.
      // A missed tick is not retried; the next minute's does the same work.
      new Rule(this, 'Tick', {
        ruleName: `${name}-tick`,
        description: 'Starts the astha snapshotter tick (commit policy, expiration, cleanup) once a minute',
        schedule: Schedule.rate(Duration.minutes(1)),
        targets: [
          new LambdaFunction(this.function.fn, { retryAttempts: 0, maxEventAge: Duration.seconds(60) }),
        ],
      });
    }
  }
}
