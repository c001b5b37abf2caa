import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
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
 * A run is started by a writer's nudge (async invoke) or by the safety-net schedule, and ends
 * as soon as the change log is empty; only a long backlog makes it run up to shortly before
 * `context.getRemainingTimeInMillis()` runs out (then it nudges itself). Reserved concurrency 1
 * (plus the registry lease) keeps a single drainer; nudges that arrive meanwhile wait in
 * Lambda's async queue and run after it.
 */
export const DRAIN_TIMEOUT = Duration.seconds(60);
/** The safety net for a lost nudge or a crashed drainer's lease; an idle run is one read. */
export const DRAIN_SCHEDULE = Duration.minutes(1);
/** Every writer (and the drainer itself) gets the drain function's name to nudge it. */
export const DRAIN_FUNCTION_ENV = 'ASTHA_DRAIN_FUNCTION';
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
      functionName: drainFunctionName(props.namePrefix),
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
    // A failed run is not retried, and a nudge held back longer than a schedule period is
    // dropped: the next nudge or tick does the same work.
    this.function.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    this.grantQueues([...props.targets.values()]);
    this.rule = new Rule(this, 'EveryMinute', {
      ruleName: `${props.namePrefix}-drain-every-minute`,
      description: 'Safety net: starts the astha CDC drainer once a minute (writers nudge it otherwise)',
      schedule: Schedule.rate(DRAIN_SCHEDULE),
      targets: [
        new LambdaFunction(this.function.fn, { retryAttempts: 0, maxEventAge: Duration.seconds(60) }),
      ],
    });
  }

  /**
   * Lets a writer nudge the drainer: `lambda:InvokeFunction` on the drain function, by an ARN
   * built from its name (a reference would tie the drain function to its own role's policy).
   */
  grantNudge(role: IRole): void {
    const arn = Stack.of(this).formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: this.function.name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [arn] }));
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

/** The drain function's name for a name prefix (writers get it before the function exists). */
export function drainFunctionName(namePrefix: string): string {
  return `${namePrefix}-drain`;
}
