/**
 * Decides what one Glue table needs, from the registry's desired state and what Glue holds
 * now. Pure, so every branch (create, update, nothing, foreign, ahead) is tested without Glue.
 */
import type { GlueTable, GlueTableInput } from './glueCatalog.js';
import { type DesiredTable, isOwnedBy, syncedVersion, tableInputFor } from './glueTableInput.js';

export type GlueAction =
  | { kind: 'create'; input: GlueTableInput }
  | { kind: 'update'; input: GlueTableInput; versionId: string | undefined }
  | { kind: 'unchanged' }
  /** Glue already points at a later metadata version: never move it backwards. */
  | { kind: 'ahead'; glueVersion: number }
  /** A table of that name astha does not own: left alone. */
  | { kind: 'foreign' };

export function planGlueSync(desired: DesiredTable, existing: GlueTable | undefined): GlueAction {
  if (existing === undefined) return { kind: 'create', input: tableInputFor(desired) };
  if (!isOwnedBy(existing, desired.location)) return { kind: 'foreign' };
  const glueVersion = syncedVersion(existing);
  if (glueVersion !== undefined && glueVersion > desired.metadataVersion)
    return { kind: 'ahead', glueVersion };
  const input = tableInputFor(desired, existing);
  if (glueVersion === desired.metadataVersion && sameShape(input, existing)) return { kind: 'unchanged' };
  return { kind: 'update', input, versionId: existing.VersionId };
}

/** Whether `existing` already says everything `input` would. */
function sameShape(input: GlueTableInput, existing: GlueTable): boolean {
  const sd = existing.StorageDescriptor;
  return (
    existing.TableType === input.TableType &&
    existing.Parameters.table_type === input.Parameters.table_type &&
    existing.Parameters.metadata_location === input.Parameters.metadata_location &&
    sd?.Location === input.StorageDescriptor.Location &&
    JSON.stringify(sd?.Columns ?? []) === JSON.stringify(input.StorageDescriptor.Columns)
  );
}
