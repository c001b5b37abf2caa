import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import {
  AuthorizationType,
  EndpointType,
  LambdaRestApi,
  MethodLoggingLevel,
} from 'aws-cdk-lib/aws-apigateway';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { grantMetadataRead, type Warehouse } from '../warehouseAccess.js';
import { AsthaFunction } from './asthaFunction.js';

export interface RestCatalogApiProps {
  readonly namePrefix: string;
  readonly entry: string;
  readonly warehouse: Warehouse;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
}

/** The stage name: the catalog URI is `https://<api>.execute-api.<region>.amazonaws.com/catalog`. */
export const CATALOG_STAGE = 'catalog';
/** API Gateway gives an integration at most 29 seconds. */
export const CATALOG_TIMEOUT = Duration.seconds(29);

/**
 * The Iceberg REST catalog (read path) as a Lambda behind an API Gateway REST API whose every
 * method requires IAM (SigV4) authorization: what Snowflake's `CATALOG_API_TYPE =
 * AWS_API_GATEWAY` and `rest.sigv4-enabled` clients (Iceberg Java, PyIceberg) call. The function
 * reads the registry (its secret, granted by the stack) and only the tables' `metadata/` objects.
 */
export class RestCatalogApi extends Construct {
  readonly function: AsthaFunction;
  readonly api: LambdaRestApi;
  /** What engines set as the catalog URI. */
  readonly uri: string;

  constructor(scope: Construct, id: string, props: RestCatalogApiProps) {
    super(scope, id);
    this.function = new AsthaFunction(this, 'Function', {
      functionName: `${props.namePrefix}-rest-catalog`,
      entry: props.entry,
      timeout: CATALOG_TIMEOUT,
      // Memory buys CPU: parsing a metadata file with thousands of snapshots on a cold cache.
      memorySize: 1024,
      logRetention: props.logRetention,
      environment: props.environment,
    });
    grantMetadataRead(this.function.role, props.warehouse);
    this.api = new LambdaRestApi(this, 'Api', {
      restApiName: `${props.namePrefix}-catalog`,
      description: 'astha: Iceberg REST catalog (read-only), IAM (SigV4) authorization',
      handler: this.function.fn,
      proxy: true,
      endpointTypes: [EndpointType.REGIONAL],
      // No account-wide CloudWatch role: the function logs what it does.
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: CATALOG_STAGE,
        loggingLevel: MethodLoggingLevel.OFF,
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
      },
    });
    // Without the trailing slash `api.url` has: clients append `/v1/config` to it.
    const { region, urlSuffix } = Stack.of(this);
    this.uri = `https://${this.api.restApiId}.execute-api.${region}.${urlSuffix}/${CATALOG_STAGE}`;
    new CfnOutput(scope, 'CatalogUri', {
      description: 'Iceberg REST catalog URI (SigV4: signing region = the stack region, service execute-api)',
      value: this.uri,
    });
  }
}
