/**
 * The deployed drainer nudge: an asynchronous invoke of the drain function (InvocationType
 * `Event`), which returns as soon as Lambda has queued it. With reserved concurrency 1, a
 * nudge that arrives while a drainer runs is held back by Lambda and runs after it.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { DrainNudger } from '../astha/nudge.js';
import { AsthaError } from '../errors.js';
import { type AwsOptions, lambdaClientConfig } from './awsOptions.js';

/** The payload the drain handler tells apart from EventBridge's scheduled event. */
export const NUDGE_EVENT = { source: 'astha.nudge' } as const;

export class LambdaNudger implements DrainNudger {
  private readonly client: LambdaClient;

  constructor(
    private readonly functionName: string,
    options: AwsOptions,
  ) {
    this.client = new LambdaClient(lambdaClientConfig(options));
  }

  async nudge(): Promise<void> {
    const result = await this.client.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(NUDGE_EVENT)),
      }),
    );
    if (result.StatusCode !== 202) {
      throw new AsthaError(
        'nudge_refused',
        `async invoke of ${this.functionName} answered ${result.StatusCode}`,
        {
          retryable: true,
        },
      );
    }
  }
}
