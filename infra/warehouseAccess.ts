import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';

/** The bucket astha works in and the key prefix (`warehouse/`, or '' for the whole bucket). */
export interface Warehouse {
  readonly bucket: IBucket;
  /** Normalised: empty, or ending in exactly one `/`. */
  readonly keyPrefix: string;
  /** Set when the bucket is encrypted with a customer-managed KMS key. */
  readonly encryptionKey?: IKey;
}

/** Reads objects under the warehouse prefix; lists only under it (so a missing key is a 404, not a 403). */
export function grantWarehouseRead(grantee: IGrantable, warehouse: Warehouse): void {
  const { bucket, keyPrefix } = warehouse;
  addStatement(grantee, ['s3:GetObject'], [bucket.arnForObjects(`${keyPrefix}*`)]);
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${keyPrefix}*`] } },
    }),
  );
  if (warehouse.encryptionKey) addStatement(grantee, ['kms:Decrypt'], [warehouse.encryptionKey.keyArn]);
}

/**
 * Writes and deletes objects only below a table's `metadata/` folder (manifests, manifest
 * lists, `v<N>.metadata.json`, `version-hint.text`), or below `data/` for a data writer.
 * User data files are never deleted by anyone.
 */
export function grantTableWrite(grantee: IGrantable, warehouse: Warehouse, writesData: boolean): void {
  const { bucket, keyPrefix } = warehouse;
  const metadata = bucket.arnForObjects(`${keyPrefix}*/metadata/*`);
  addStatement(grantee, ['s3:PutObject', 's3:DeleteObject'], [metadata]);
  if (writesData) addStatement(grantee, ['s3:PutObject'], [bucket.arnForObjects(`${keyPrefix}*/data/*`)]);
  if (warehouse.encryptionKey) {
    addStatement(grantee, ['kms:GenerateDataKey'], [warehouse.encryptionKey.keyArn]);
  }
}

function addStatement(grantee: IGrantable, actions: string[], resources: string[]): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions, resources }));
}
