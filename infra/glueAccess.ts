/**
 * catalog_sync's Glue Data Catalog settings and its grant: the four Glue actions it calls, on
 * the catalog, the databases named `<prefix>*` and their tables only. No `*` resource.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export interface GlueProps {
  /** Glue database of a namespace = prefix + namespace name (lower case, e.g. `astha_`). */
  readonly databasePrefix: string;
  /** The account whose Data Catalog to use. Default: the stack's account. */
  readonly catalogId?: string;
}

/** What catalog_sync calls (lib/catalogSync/awsGlueCatalog.ts). */
export const GLUE_SYNC_ACTIONS = [
  'glue:GetTable',
  'glue:CreateTable',
  'glue:UpdateTable',
  'glue:CreateDatabase',
];

/** Same rule as ASTHA_GLUE_DATABASE_PREFIX in lib/config.ts: Glue keeps names lower case. */
export function validGlueProps(glue: GlueProps): GlueProps {
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(glue.databasePrefix)) {
    throw new Error(
      `glue.databasePrefix "${glue.databasePrefix}" must be 1-64 of [a-z0-9_], starting with a letter`,
    );
  }
  if (glue.catalogId !== undefined && !/^\d{12}$/.test(glue.catalogId)) {
    throw new Error(`glue.catalogId "${glue.catalogId}" must be a 12-digit account id`);
  }
  return glue;
}

/** The environment catalog_sync reads (lib/config.ts). */
export function glueEnvironment(glue: GlueProps): Record<string, string> {
  return {
    ASTHA_GLUE_DATABASE_PREFIX: glue.databasePrefix,
    ...(glue.catalogId !== undefined ? { ASTHA_GLUE_CATALOG_ID: glue.catalogId } : {}),
  };
}

export function grantGlueSync(scope: Construct, grantee: IGrantable, glue: GlueProps): void {
  const stack = Stack.of(scope);
  const arn = (resource: string, resourceName?: string) =>
    stack.formatArn({
      service: 'glue',
      account: glue.catalogId ?? stack.account,
      resource,
      ...(resourceName === undefined
        ? { arnFormat: ArnFormat.NO_RESOURCE_NAME }
        : { resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
    });
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: GLUE_SYNC_ACTIONS,
      resources: [
        arn('catalog'),
        arn('database', `${glue.databasePrefix}*`),
        arn('table', `${glue.databasePrefix}*/*`),
      ],
    }),
  );
}
