/**
 * The stack's outputs: what an operator needs to point the CLI, a queues-mode runtime or a
 * reader at the deployment (`aws cloudformation describe-stacks --query 'Stacks[0].Outputs'`).
 * The JSON outputs are exactly the values the matching environment variables take.
 */
import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { ComponentName } from './components.js';
import type { AsthaFunction } from './constructs/asthaFunction.js';
import type { ComponentWorker } from './constructs/componentWorker.js';
import type { Registration } from './constructs/registration.js';

export interface StackOutputsProps {
  readonly bucketName: string;
  /** `s3://<bucket>/<prefix>`, as `ASTHA_WAREHOUSE` takes it. */
  readonly warehouseUri: string;
  readonly registration: Registration;
  readonly components: ReadonlyMap<ComponentName, ComponentWorker>;
  readonly drain: AsthaFunction;
}

export function addStackOutputs(stack: Stack, props: StackOutputsProps): void {
  const output = (id: string, value: string, description: string) =>
    new CfnOutput(stack, id, { value, description });
  const urls = (pick: (w: ComponentWorker) => string) =>
    Stack.of(stack).toJsonString(
      Object.fromEntries([...props.components].map(([name, w]) => [name, pick(w)])),
    );
  output('BucketName', props.bucketName, 'The warehouse bucket');
  output('WarehouseUri', props.warehouseUri, 'ASTHA_WAREHOUSE: where the tables live');
  output(
    'RegistrationQueueUrl',
    props.registration.queue.queueUrl,
    'ASTHA_REGISTRATION_QUEUE: S3 notifies it',
  );
  output(
    'RegistrationDeadLetterQueueUrl',
    props.registration.deadLetterQueue.queueUrl,
    'Notifications that failed registration 5 times',
  );
  output(
    'ComponentQueueUrls',
    urls((w) => w.queue.queueUrl),
    'ASTHA_COMPONENT_QUEUES: {component: queue URL}',
  );
  output(
    'ComponentDeadLetterQueueUrls',
    urls((w) => w.deadLetterQueue.queueUrl),
    'ASTHA_COMPONENT_DLQS: {component: dead-letter queue URL}',
  );
  output('DrainFunctionName', props.drain.name, 'ASTHA_DRAIN_FUNCTION: the drainer writers nudge');
}
