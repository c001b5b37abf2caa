/**
 * CDK app: `npx cdk synth` / `npx cdk deploy` (cdk.json runs `npx tsx infra/app.ts`).
 * Environment-agnostic and lookup-free, so it synthesises offline; parameters come from context.
 */
import { App } from 'aws-cdk-lib';
import { AsthaStack } from './asthaStack.js';
import { propsFromContext } from './propsFromContext.js';

const app = new App();
const stackName = (app.node.tryGetContext('stackName') as string | undefined) ?? 'Astha';
new AsthaStack(app, stackName, {
  ...propsFromContext((key) => app.node.tryGetContext(key)),
  description: 'astha: Parquet files landing in S3 become Apache Iceberg tables',
});
app.synth();
