import { IcebergError } from '../icebergError.js';
import type { TableMetadata } from './tableMetadata.js';
import type { TableRequirement } from './tableUpdate.js';

/** Which requirement failed and why, as data the commit protocol can log or branch on. */
export interface RequirementFailure {
  requirement: TableRequirement;
  reason: string;
}

/**
 * The first requirement that does not hold on `base` (undefined = the table does not
 * exist), or undefined when all hold. Pure: the same inputs always give the same answer.
 */
export function checkRequirements(
  base: TableMetadata | undefined,
  requirements: readonly TableRequirement[],
): RequirementFailure | undefined {
  for (const requirement of requirements) {
    const reason = check(base, requirement);
    if (reason !== undefined) return { requirement, reason };
  }
  return undefined;
}

/** Throws a retryable `requirement_failed` IcebergError when a requirement does not hold. */
export function assertRequirements(
  base: TableMetadata | undefined,
  requirements: readonly TableRequirement[],
): void {
  const failure = checkRequirements(base, requirements);
  if (failure) {
    throw new IcebergError('requirement_failed', `${failure.requirement.type}: ${failure.reason}`, {
      details: { requirement: failure.requirement.type, reason: failure.reason },
    });
  }
}

function check(base: TableMetadata | undefined, r: TableRequirement): string | undefined {
  if (r.type === 'assert-create') return base === undefined ? undefined : 'the table already exists';
  if (base === undefined) return 'the table does not exist';
  const differs = (what: string, expected: unknown, actual: unknown) =>
    expected === actual ? undefined : `${what} is ${String(actual)}, expected ${String(expected)}`;
  switch (r.type) {
    case 'assert-table-uuid':
      return differs('table uuid', r.uuid, base.tableUuid);
    case 'assert-ref-snapshot-id': {
      const ref = base.refs[r.ref];
      if (r.snapshotId === null)
        return ref === undefined ? undefined : `ref ${r.ref} exists (${ref.snapshotId})`;
      if (ref === undefined) return `ref ${r.ref} does not exist, expected snapshot ${r.snapshotId}`;
      return differs(`ref ${r.ref}`, r.snapshotId, ref.snapshotId);
    }
    case 'assert-last-assigned-field-id':
      return differs('last assigned field id', r.lastAssignedFieldId, base.lastColumnId);
    case 'assert-current-schema-id':
      return differs('current schema id', r.currentSchemaId, base.currentSchemaId);
    case 'assert-last-assigned-partition-id':
      return differs('last assigned partition id', r.lastAssignedPartitionId, base.lastPartitionId);
    case 'assert-default-spec-id':
      return differs('default spec id', r.defaultSpecId, base.defaultSpecId);
    case 'assert-default-sort-order-id':
      return differs('default sort order id', r.defaultSortOrderId, base.defaultSortOrderId);
  }
}
