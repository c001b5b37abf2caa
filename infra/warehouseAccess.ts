import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { DataAccess } from './components.js';

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
 * Reads only the tables' Iceberg metadata (the objects below each table's `metadata/` folder:
 * `v<N>.metadata.json`, manifests, manifest lists): what the REST catalog serves. No listing,
 * no data files.
 */
export function grantMetadataRead(grantee: IGrantable, warehouse: Warehouse): void {
  const { bucket, keyPrefix } = warehouse;
  addStatement(grantee, ['s3:GetObject'], [bucket.arnForObjects(`${keyPrefix}*/metadata/*`)]);
  if (warehouse.encryptionKey) addStatement(grantee, ['kms:Decrypt'], [warehouse.encryptionKey.keyArn]);
}

/**
 * The compactor's output name (lib/compactor/rewriteFiles.ts), as an IAM resource pattern
 * relative to a table's `data/` folder (any partition directories in front). User files are
 * `.parquet` (the notification filter), so this name is never one a user landed.
 */
export const COMPACTED_OUTPUT_PATTERN = '*_astha-compacted-*.parq';

/**
 * Who may change what under the warehouse prefix (every key pattern starts `<prefix>*`, one
 * table folder deep or more):
 *
 * - every component writes and deletes only below a table's `metadata/` folder (manifests,
 *   manifest lists, `v<N>.metadata.json`, `version-hint.text`);
 * - the compactor also writes its outputs, and only those: `s3:PutObject` (which authorises
 *   CreateMultipartUpload, UploadPart and CompleteMultipartUpload as well) and
 *   `s3:AbortMultipartUpload` on `<table>/data/…_astha-compacted-*.parq`. It cannot overwrite
 *   or delete a user's file;
 * - the snapshotter also deletes compaction outputs under `<table>/data/` (same name pattern):
 *   cleanup removes outputs a later rewrite replaced or no commit referenced, once no remaining
 *   snapshot reaches them and they are past the safety age (3 days by default). Only a stack
 *   that hands users' compacted-away files to cleanup (`deleteReplacedUserFiles`, with the
 *   table property `astha.cleanup.delete-replaced-user-files`) grants it DeleteObject on every
 *   data file (`deleteDataFiles`): replaced user files keep their user's names, so that grant
 *   cannot be narrowed by name. The rules live in lib/snapshotter/cleanupOrphans.ts. It writes
 *   no data.
 *
 * Metadata and data patterns never overlap on a key astha accepts: `*\/metadata/*` needs a
 * `/metadata/` segment, which a data file's key has only if its table is named `metadata`
 * (reserved by lib/layout/warehousePath.ts) or a directory under `data/` is (directories there
 * are `<col>=<value>`). Likewise `*\/data/*` reaches metadata only of a table named `data`.
 *
 * No one else deletes user data: registration only reads, and the drainer has no S3 access.
 */
export function grantTableWrite(grantee: IGrantable, warehouse: Warehouse, dataAccess: DataAccess): void {
  const { bucket, keyPrefix } = warehouse;
  const metadata = bucket.arnForObjects(`${keyPrefix}*/metadata/*`);
  addStatement(grantee, ['s3:PutObject', 's3:DeleteObject'], [metadata]);
  if (dataAccess === 'writeCompactedOutputs') {
    const outputs = bucket.arnForObjects(`${keyPrefix}*/data/${COMPACTED_OUTPUT_PATTERN}`);
    addStatement(grantee, ['s3:PutObject', 's3:AbortMultipartUpload'], [outputs]);
  }
  if (dataAccess === 'deleteCompactedOutputs') {
    const outputs = bucket.arnForObjects(`${keyPrefix}*/data/${COMPACTED_OUTPUT_PATTERN}`);
    addStatement(grantee, ['s3:DeleteObject'], [outputs]);
  }
  if (dataAccess === 'deleteDataFiles') {
    addStatement(grantee, ['s3:DeleteObject'], [bucket.arnForObjects(`${keyPrefix}*/data/*`)]);
  }
  if (warehouse.encryptionKey) {
    // With Decrypt from the read grant this also covers multipart uploads (parts are decrypted to assemble).
    addStatement(grantee, ['kms:GenerateDataKey'], [warehouse.encryptionKey.keyArn]);
  }
}

function addStatement(grantee: IGrantable, actions: string[], resources: string[]): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions, resources }));
}
