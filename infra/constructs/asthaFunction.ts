import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LIBSQL_NATIVE_STUB, PROJECT_ROOT } from '../paths.js';

export interface AsthaFunctionProps {
  readonly functionName: string;
  /** Absolute path of the handler file; it must export `handler`. */
  readonly entry: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly logRetention: RetentionDays;
  readonly environment: Readonly<Record<string, string>>;
  readonly reservedConcurrentExecutions?: number;
}

/*
 * ESM so handlers can use top-level await at cold start. CommonJS dependencies (pino) call
 * `require` for Node built-ins, which an ESM bundle lacks, hence the createRequire banner.
 */
const REQUIRE_BANNER =
  "import{createRequire as __asthaCreateRequire}from'node:module';const require=__asthaCreateRequire(import.meta.url);";

/**
 * One astha Lambda: Node.js 24 on arm64, bundled by the local esbuild (never Docker) into one
 * minified ESM file with the AWS SDK v3 clients it imports (pinned by our lock file rather
 * than the runtime's copy). Its role starts empty: logs only to its own log group, and
 * each wiring step grants exactly what the function uses.
 */
export class AsthaFunction extends Construct {
  /** The Lambda function name (a plain string, for labels). */
  readonly name: string;
  readonly fn: NodejsFunction;
  readonly role: IRole;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: AsthaFunctionProps) {
    super(scope, id);
    if (!existsSync(props.entry)) {
      throw new Error(
        `${props.functionName}: handler ${props.entry} does not exist (deploy without that component until it does)`,
      );
    }
    this.name = props.functionName;
    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `astha ${props.functionName}: least-privilege execution role`,
    });
    this.logGroup.grantWrite(this.role);
    this.fn = new NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      entry: props.entry,
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      role: this.role,
      logGroup: this.logGroup,
      // Stack traces through the external source maps.
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.EXTERNAL,
        sourcesContent: false,
        banner: REQUIRE_BANNER,
        // Bundle the SDK too (an empty list overrides the default `@aws-sdk/*` external).
        externalModules: [],
        esbuildArgs: { '--alias:libsql': LIBSQL_NATIVE_STUB },
      },
    });
    this.fn.node.addDependency(this.logGroup);
  }
}

/** SQS visibility timeout for a queue feeding a function: 6x its timeout, as AWS recommends. */
export function visibilityFor(functionTimeout: Duration): Duration {
  return Duration.seconds(functionTimeout.toSeconds() * 6);
}
