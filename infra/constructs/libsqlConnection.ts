import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * Environment variable with the ARN of the Secrets Manager secret that holds
 * `{"url": "libsql://…", "authToken": "…"}`. When the secret is given by name the value is a
 * partial ARN (no random suffix), which GetSecretValue accepts as SecretId.
 */
export const LIBSQL_SECRET_ENV = 'ASTHA_LIBSQL_SECRET_ARN';

/** The secret with the libSQL URL and auth token: by full ARN or by name (one of the two). */
export interface LibsqlSource {
  readonly secretArn?: string;
  readonly secretName?: string;
}

/**
 * The registry connection as the functions see it: only the secret's ARN goes into the
 * environment and each function role may read that one secret. The token itself is read at
 * cold start by the config module, never placed in the environment.
 */
export class LibsqlConnection extends Construct {
  readonly environment: Readonly<Record<string, string>>;
  private readonly secret: ISecret;

  constructor(scope: Construct, id: string, source: LibsqlSource) {
    super(scope, id);
    if ((source.secretArn === undefined) === (source.secretName === undefined)) {
      throw new Error('libSQL: give exactly one of secretArn or secretName');
    }
    this.secret =
      source.secretArn !== undefined
        ? Secret.fromSecretCompleteArn(this, 'Secret', source.secretArn)
        : Secret.fromSecretNameV2(this, 'Secret', source.secretName ?? '');
    this.environment = { [LIBSQL_SECRET_ENV]: this.secret.secretArn };
  }

  grantRead(grantee: IGrantable): void {
    this.secret.grantRead(grantee);
  }
}
