import { Duration, Stack } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ComponentName } from '../components.js';
import { AsthaFunction } from './asthaFunction.js';

export interface DrainTarget {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
}

export interface DrainerProps {
  readonly namePrefix: string;
  readonly entry: string;
  readonly targets: ReadonlyMap<ComponentName, DrainTarget>;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
  readonly memorySize: number;
  /** How often the drainer polls the CDC log within its invocation. */
  readonly pollIntervalMs: number;
}

/** JSON `{component: queueUrl}` of exactly the deployed components. */
export const COMPONENT_QUEUES_ENV = 'ASTHA_COMPONENT_QUEUES';
/** JSON `{component: deadLetterQueueUrl}`, for the circuit breaker's health checks. */
export const COMPONENT_DLQS_ENV = 'ASTHA_COMPONENT_DLQS';

/*
 * One invocation a minute that polls for (almost) the whole minute: the handler stops polling
 * shortly before `context.getRemainingTimeInMillis()` runs out, so invocations barely overlap.
 * Reserved concurrency 1 (plus the registry lease) keeps a single drainer.
 */
export const DRAIN_TIMEOUT = Duration.seconds(60);
/** The drainer stops polling this long before its timeout, to finish the batch in flight. */
export const DRAIN_MARGIN_MS = 5_000;
export const DRAIN_MARGIN_ENV = 'ASTHA_DRAIN_MARGIN_MS';
export const DRAIN_POLL_ENV = 'ASTHA_DRAIN_POLL_MS';

/** Astha: the scheduled CDC drainer that sends registry changes to the component queues. */
export class Drainer extends Construct {
  readonly function: AsthaFunction;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: DrainerProps) {
    super(scope, id);
    this.function = new AsthaFunction(this, 'Drain', {
      functionName: `${props.namePrefix}-drain`,
      entry: props.entry,
      timeout: DRAIN_TIMEOUT,
      memorySize: props.memorySize,
      logRetention: props.logRetention,
      reservedConcurrentExecutions: 1,
      environment: {
        ...props.environment,
        [COMPONENT_QUEUES_ENV]: this.urlsJson(props.targets, (t) => t.queue),
        [COMPONENT_DLQS_ENV]: this.urlsJson(props.targets, (t) => t.deadLetterQueue),
        [DRAIN_MARGIN_ENV]: String(DRAIN_MARGIN_MS),
        [DRAIN_POLL_ENV]: String(props.pollIntervalMs),
      },
    });
    // A late or throttled tick is not retried: the next minute's invocation does the work.
    this.function.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    this.grantQueues([...props.targets.values()]);
    this.rule = new Rule(this, 'EveryMinute', {
      ruleName: `${props.namePrefix}-drain-every-minute`,
      description: 'Starts the astha CDC drainer once a minute',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [
        new LambdaFunction(this.function.fn, { retryAttempts: 0, maxEventAge: Duration.seconds(60) }),
      ],
    });
  }

  /** Send to the component queues; read attributes of them and their DLQs (health), nothing else. */
  private grantQueues(targets: DrainTarget[]): void {
    const role = this.function.role;
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: targets.map((t) => t.queue.queueArn) }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['sqs:GetQueueAttributes'],
        resources: targets.flatMap((t) => [t.queue.queueArn, t.deadLetterQueue.queueArn]),
      }),
    );
  }

  private urlsJson(
    targets: ReadonlyMap<ComponentName, DrainTarget>,
    pick: (t: DrainTarget) => IQueue,
  ): string {
    const entries = [...targets].map(([name, target]) => [name, pick(target).queueUrl]);
    return Stack.of(this).toJsonString(Object.fromEntries(entries));
  }
}
