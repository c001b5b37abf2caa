import { IcebergError } from '../icebergError.js';
import {
  bindPartitionSpec,
  highestPartitionFieldId,
  type PartitionSpec,
  sameSpecFields,
} from './partitionSpec.js';
import { MAIN_BRANCH, type SnapshotRef } from './snapshot.js';
import { type SortOrder, sameSortFields, UNSORTED_ORDER_ID, validateSortOrder } from './sortOrder.js';
import {
  currentSchema,
  type MetadataLogEntry,
  PREVIOUS_VERSIONS_MAX,
  PREVIOUS_VERSIONS_MAX_DEFAULT,
  type TableMetadata,
} from './tableMetadata.js';
import type { TableUpdate } from './tableUpdate.js';
import { highestFieldId, indexFieldsById, type Schema, sameSchemaFields } from './types.js';

/**
 * The only way table metadata changes. Each update is validated against the state left by
 * the updates before it, so a commit either applies whole or throws `invalid_update`
 * naming the update that does not fit. Given the same base, updates and options the
 * result is always the same (nothing reads the clock or draws random numbers).
 */
export interface ApplyOptions {
  /** Time of the commit; becomes `last-updated-ms` unless an added snapshot sets it. */
  nowMs: number;
  /** Location of the metadata file `base` was read from; recorded in `metadata-log`. */
  metadataLocation?: string;
}

export function applyUpdates(
  base: TableMetadata,
  updates: readonly TableUpdate[],
  options: ApplyOptions,
): TableMetadata {
  // No change, no new version: the metadata log only records versions that differ.
  if (updates.length === 0) return base;
  const builder = new TableMetadataBuilder(base, options);
  for (const update of updates) builder.apply(update);
  return builder.build();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function invalid(why: string, reason?: string): never {
  throw new IcebergError('invalid_update', why, reason === undefined ? {} : { details: { reason } });
}

export class TableMetadataBuilder {
  private readonly m: TableMetadata;
  private lastAddedSchemaId: number | undefined;
  private lastAddedSpecId: number | undefined;
  private lastAddedSortOrderId: number | undefined;
  /** Set by an added snapshot, as Java does, so the snapshot-log entry matches the snapshot. */
  private lastUpdatedMs: number | undefined;
  private readonly addedSnapshotIds = new Set<bigint>();

  constructor(
    private readonly base: TableMetadata,
    private readonly options: ApplyOptions,
  ) {
    // Arrays and records are copied when changed, never mutated, so `base` stays intact.
    this.m = { ...base };
  }

  apply(update: TableUpdate): this {
    switch (update.action) {
      case 'assign-uuid':
        return this.assignUuid(update.uuid);
      case 'upgrade-format-version':
        if (update.formatVersion === 2) return this;
        if (update.formatVersion < 2) invalid(`cannot downgrade format version 2 to ${update.formatVersion}`);
        throw new IcebergError('unsupported', `format version ${update.formatVersion} is not supported`);
      case 'add-schema':
        return this.addSchema(update.schema, update.lastColumnId);
      case 'set-current-schema':
        this.m.currentSchemaId = this.resolve('schema', update.schemaId, this.lastAddedSchemaId, (id) =>
          this.m.schemas.some((s) => s['schema-id'] === id),
        );
        return this;
      case 'add-spec':
        return this.addSpec(update.spec);
      case 'set-default-spec':
        this.m.defaultSpecId = this.resolve('partition spec', update.specId, this.lastAddedSpecId, (id) =>
          this.m.partitionSpecs.some((s) => s.specId === id),
        );
        return this;
      case 'add-sort-order':
        return this.addSortOrder(update.sortOrder);
      case 'set-default-sort-order':
        this.m.defaultSortOrderId = this.resolve(
          'sort order',
          update.sortOrderId,
          this.lastAddedSortOrderId,
          (id) => this.m.sortOrders.some((o) => o.orderId === id),
        );
        return this;
      case 'add-snapshot':
        return this.addSnapshot(update.snapshot);
      case 'set-snapshot-ref': {
        const { action: _, refName, ...ref } = update;
        return this.setRef(refName, ref);
      }
      case 'remove-snapshots':
        return this.removeSnapshots(update.snapshotIds);
      case 'remove-snapshot-ref':
        return this.removeRef(update.refName);
      case 'set-location':
        if (update.location === '') invalid('table location must not be empty');
        this.m.location = update.location.replace(/\/+$/, '');
        return this;
      case 'set-properties':
        this.m.properties = { ...this.m.properties, ...update.updates };
        return this;
      case 'remove-properties': {
        const properties = { ...this.m.properties };
        for (const key of update.removals) delete properties[key];
        this.m.properties = properties;
        return this;
      }
    }
  }

  /** The new metadata; `base` (the table before these updates) goes into `metadata-log`. */
  build(): TableMetadata {
    const { nowMs, metadataLocation } = this.options;
    const m = { ...this.m, lastUpdatedMs: this.lastUpdatedMs ?? nowMs };
    if (metadataLocation !== undefined) {
      const entry: MetadataLogEntry = {
        timestampMs: this.base.lastUpdatedMs,
        metadataFile: metadataLocation,
      };
      m.metadataLog = trimMetadataLog([...m.metadataLog, entry], m.properties);
    }
    if (m.tableUuid === '') invalid('the table has no uuid (assign-uuid)');
    if (m.location === '') invalid('the table has no location (set-location)');
    if (!m.schemas.some((s) => s['schema-id'] === m.currentSchemaId))
      invalid('the table has no current schema');
    if (!m.partitionSpecs.some((s) => s.specId === m.defaultSpecId)) invalid('the table has no default spec');
    if (!m.sortOrders.some((o) => o.orderId === m.defaultSortOrderId))
      invalid('the table has no default sort order');
    return m;
  }

  private assignUuid(uuid: string): this {
    if (!UUID.test(uuid)) invalid(`table uuid ${JSON.stringify(uuid)} is not a UUID`);
    if (this.m.tableUuid !== '' && this.m.tableUuid.toLowerCase() !== uuid.toLowerCase()) {
      invalid(`cannot reassign table uuid ${this.m.tableUuid} to ${uuid}`);
    }
    this.m.tableUuid = uuid.toLowerCase();
    return this;
  }

  /** `-1` means "the one added last by these updates"; any other id must exist. */
  private resolve(
    what: string,
    id: number,
    lastAdded: number | undefined,
    exists: (id: number) => boolean,
  ): number {
    if (id === -1) {
      if (lastAdded === undefined) invalid(`cannot set the last added ${what}: none was added`);
      return lastAdded;
    }
    if (!exists(id)) invalid(`${what} ${id} does not exist`);
    return id;
  }

  private addSchema(schema: Schema, lastColumnId: number | undefined): this {
    const ids = [...indexFieldsById(schema).keys()];
    if (ids.some((id) => !Number.isInteger(id) || id < 1))
      invalid('schema field ids must be positive integers');
    const same = this.m.schemas.find((s) => sameSchemaFields(s, schema));
    if (same) {
      this.lastAddedSchemaId = same['schema-id'];
      return this;
    }
    const schemaId = this.m.schemas.reduce((max, s) => Math.max(max, s['schema-id'] + 1), 0);
    this.m.schemas = [...this.m.schemas, { ...schema, 'schema-id': schemaId }];
    // New columns may use ids above last-column-id; the table remembers the highest ever assigned.
    this.m.lastColumnId = Math.max(this.m.lastColumnId, highestFieldId(schema), lastColumnId ?? 0);
    this.lastAddedSchemaId = schemaId;
    return this;
  }

  private addSpec(spec: PartitionSpec): this {
    if (this.m.currentSchemaId === -1) invalid('cannot add a partition spec before the table has a schema');
    bindPartitionSpec(spec, currentSchema(this.m));
    const same = this.m.partitionSpecs.find((s) => sameSpecFields(s, spec));
    if (same) {
      this.lastAddedSpecId = same.specId;
      return this;
    }
    this.checkPartitionFieldIds(spec);
    const specId = this.m.partitionSpecs.reduce((max, s) => Math.max(max, s.specId + 1), 0);
    this.m.partitionSpecs = [...this.m.partitionSpecs, { ...spec, specId }];
    this.m.lastPartitionId = Math.max(this.m.lastPartitionId, highestPartitionFieldId(spec));
    this.lastAddedSpecId = specId;
    return this;
  }

  /**
   * Partition field ids are table-wide: an id already assigned may only come back for the
   * same source column and transform, otherwise old manifests would be read as the new field.
   */
  private checkPartitionFieldIds(spec: PartitionSpec): void {
    const assigned = new Map(
      this.m.partitionSpecs.flatMap((s) => s.fields.map((f) => [f.fieldId, f] as const)),
    );
    for (const field of spec.fields) {
      const earlier = assigned.get(field.fieldId);
      if (earlier && (earlier.sourceId !== field.sourceId || earlier.transform !== field.transform)) {
        invalid(
          `partition field id ${field.fieldId} already means ${earlier.transform}(${earlier.sourceId})`,
        );
      }
      if (!earlier && field.fieldId <= this.m.lastPartitionId) {
        invalid(
          `new partition field ${field.name} must get an id above last-partition-id ${this.m.lastPartitionId}`,
        );
      }
    }
  }

  private addSortOrder(order: SortOrder): this {
    const unsorted = order.fields.length === 0;
    if (!unsorted) {
      if (this.m.currentSchemaId === -1) invalid('cannot add a sort order before the table has a schema');
      const columns = indexFieldsById(currentSchema(this.m));
      for (const field of order.fields) {
        if (!columns.has(field.sourceId))
          invalid(`sort order source column ${field.sourceId} is not in the schema`);
      }
    }
    const same = this.m.sortOrders.find((o) => sameSortFields(o, order));
    if (same) {
      this.lastAddedSortOrderId = same.orderId;
      return this;
    }
    const orderId = unsorted
      ? UNSORTED_ORDER_ID
      : this.m.sortOrders.reduce((max, o) => Math.max(max, o.orderId + 1), UNSORTED_ORDER_ID + 1);
    const added = { ...order, orderId };
    validateSortOrder(added, 'invalid_update');
    this.m.sortOrders = [...this.m.sortOrders, added];
    this.lastAddedSortOrderId = orderId;
    return this;
  }

  private addSnapshot(snapshot: TableMetadata['snapshots'][number]): this {
    const id = snapshot.snapshotId;
    if (this.m.snapshots.some((s) => s.snapshotId === id))
      invalid(`snapshot ${id} already exists`, 'duplicate_snapshot');
    if (snapshot.sequenceNumber <= this.m.lastSequenceNumber) {
      invalid(
        `snapshot ${id} has sequence number ${snapshot.sequenceNumber}, not above the table's last sequence number ${this.m.lastSequenceNumber}`,
        'stale_sequence_number',
      );
    }
    const parent = snapshot.parentSnapshotId;
    if (parent !== undefined && !this.m.snapshots.some((s) => s.snapshotId === parent)) {
      invalid(`snapshot ${id} has parent ${parent}, which is not in the table`, 'missing_parent');
    }
    if (
      snapshot.schemaId !== undefined &&
      !this.m.schemas.some((s) => s['schema-id'] === snapshot.schemaId)
    ) {
      invalid(`snapshot ${id} refers to schema ${snapshot.schemaId}, which is not in the table`);
    }
    this.m.snapshots = [...this.m.snapshots, snapshot];
    this.m.lastSequenceNumber = snapshot.sequenceNumber;
    this.lastUpdatedMs = snapshot.timestampMs;
    this.addedSnapshotIds.add(id);
    return this;
  }

  private setRef(name: string, ref: SnapshotRef): this {
    const snapshot = this.m.snapshots.find((s) => s.snapshotId === ref.snapshotId);
    if (!snapshot) invalid(`ref ${name}: snapshot ${ref.snapshotId} does not exist`, 'missing_snapshot');
    if (name === MAIN_BRANCH && ref.type !== 'branch') invalid('ref main must be a branch');
    if (ref.type === 'tag' && (ref.maxSnapshotAgeMs !== undefined || ref.minSnapshotsToKeep !== undefined)) {
      invalid(`tag ${name} cannot have branch retention settings`);
    }
    const cleaned = Object.fromEntries(
      Object.entries(ref).filter(([, v]) => v !== undefined),
    ) as unknown as SnapshotRef;
    this.m.refs = { ...this.m.refs, [name]: cleaned };
    if (name === MAIN_BRANCH && this.m.currentSnapshotId !== ref.snapshotId) {
      this.m.currentSnapshotId = ref.snapshotId;
      // A new snapshot is logged at its own time; moving main back to an old one at commit time.
      const timestampMs = this.addedSnapshotIds.has(ref.snapshotId)
        ? snapshot.timestampMs
        : this.options.nowMs;
      this.m.snapshotLog = [...this.m.snapshotLog, { timestampMs, snapshotId: ref.snapshotId }];
    }
    return this;
  }

  private removeSnapshots(ids: bigint[]): this {
    const removed = new Set(ids);
    this.m.snapshots = this.m.snapshots.filter((s) => !removed.has(s.snapshotId));
    // Statistics describe one snapshot each and go with it.
    const live = (file: TableMetadata['statistics'][number]) => {
      const id = file['snapshot-id'];
      return !(typeof id === 'bigint' || typeof id === 'number') || !removed.has(BigInt(id));
    };
    this.m.statistics = this.m.statistics.filter(live);
    this.m.partitionStatistics = this.m.partitionStatistics.filter(live);
    const refs: Record<string, SnapshotRef> = {};
    for (const [name, ref] of Object.entries(this.m.refs)) if (!removed.has(ref.snapshotId)) refs[name] = ref;
    this.m.refs = refs;
    if (this.m.currentSnapshotId !== undefined && removed.has(this.m.currentSnapshotId)) {
      this.m.currentSnapshotId = undefined;
    }
    // History before an expired snapshot can no longer be replayed, so keep only what follows it (as Java does).
    const kept = new Set(this.m.snapshots.map((s) => s.snapshotId));
    let start = 0;
    this.m.snapshotLog.forEach((entry, i) => {
      if (!kept.has(entry.snapshotId)) start = i + 1;
    });
    this.m.snapshotLog = this.m.snapshotLog.slice(start);
    return this;
  }

  private removeRef(name: string): this {
    const refs = { ...this.m.refs };
    delete refs[name];
    this.m.refs = refs;
    if (name === MAIN_BRANCH) this.m.currentSnapshotId = undefined;
    return this;
  }
}

/** Keeps the newest `write.metadata.previous-versions-max` entries (default 100, at least 1). */
export function trimMetadataLog(
  log: MetadataLogEntry[],
  properties: Record<string, string>,
): MetadataLogEntry[] {
  const configured = Number.parseInt(properties[PREVIOUS_VERSIONS_MAX] ?? '', 10);
  const max = Number.isFinite(configured) ? Math.max(1, configured) : PREVIOUS_VERSIONS_MAX_DEFAULT;
  return log.length > max ? log.slice(log.length - max) : log;
}
