import { randomBytes } from 'node:crypto';
import { IcebergError } from '../icebergError.js';
import type { JsonObject, JsonValue } from './exactJson.js';
import { asInt, asLong, asObject, asString, asStringMap, optional } from './wireReader.js';

/**
 * Snapshots and refs (format spec, "Snapshots", "Snapshot References").
 * Snapshot ids are longs that are usually above 2^53, so they are `bigint` here and JSON
 * integers on the wire; sequence numbers and timestamps stay `number` (they count commits
 * and milliseconds, far below 2^53).
 */
export type SnapshotOperation = 'append' | 'replace' | 'overwrite' | 'delete';
const OPERATIONS: readonly string[] = ['append', 'replace', 'overwrite', 'delete'];

/** `operation` plus Appendix F metrics, every value a string as the spec wants. */
export type SnapshotSummary = { operation: SnapshotOperation } & Record<string, string>;

export interface Snapshot {
  snapshotId: bigint;
  parentSnapshotId?: bigint;
  sequenceNumber: number;
  timestampMs: number;
  manifestList: string;
  summary: SnapshotSummary;
  schemaId?: number;
}

export type SnapshotRefType = 'branch' | 'tag';

export interface SnapshotRef {
  snapshotId: bigint;
  type: SnapshotRefType;
  maxRefAgeMs?: number;
  /** Branches only. */
  maxSnapshotAgeMs?: number;
  /** Branches only. */
  minSnapshotsToKeep?: number;
}

export const MAIN_BRANCH = 'main';

export function snapshotToJson(snapshot: Snapshot): JsonObject {
  return {
    'snapshot-id': snapshot.snapshotId,
    'parent-snapshot-id': snapshot.parentSnapshotId,
    'sequence-number': snapshot.sequenceNumber,
    'timestamp-ms': snapshot.timestampMs,
    'manifest-list': snapshot.manifestList,
    summary: { ...snapshot.summary },
    'schema-id': snapshot.schemaId,
  } as JsonObject;
}

export function snapshotFromJson(json: JsonValue): Snapshot {
  const object = asObject(json, 'snapshot');
  const summary = asStringMap(object.summary ?? { operation: 'append' }, 'snapshot summary');
  const operation = summary.operation;
  if (operation === undefined || !OPERATIONS.includes(operation)) {
    throw new IcebergError(
      'invalid_metadata',
      `snapshot summary operation ${JSON.stringify(operation)} is unknown`,
    );
  }
  const snapshot: Snapshot = {
    snapshotId: asLong(object['snapshot-id'], 'snapshot-id'),
    sequenceNumber: asInt(object['sequence-number'] ?? 0, 'sequence-number'),
    timestampMs: asInt(object['timestamp-ms'], 'timestamp-ms'),
    manifestList: asString(object['manifest-list'], 'manifest-list'),
    summary: { ...summary, operation: operation as SnapshotOperation },
  };
  const parent = optional(object['parent-snapshot-id'], asLong, 'parent-snapshot-id');
  if (parent !== undefined) snapshot.parentSnapshotId = parent;
  const schemaId = optional(object['schema-id'], asInt, 'schema-id');
  if (schemaId !== undefined) snapshot.schemaId = schemaId;
  return snapshot;
}

export function snapshotRefToJson(ref: SnapshotRef): JsonObject {
  return {
    'snapshot-id': ref.snapshotId,
    type: ref.type,
    'max-ref-age-ms': ref.maxRefAgeMs,
    'max-snapshot-age-ms': ref.maxSnapshotAgeMs,
    'min-snapshots-to-keep': ref.minSnapshotsToKeep,
  } as JsonObject;
}

export function snapshotRefFromJson(json: JsonValue, name: string): SnapshotRef {
  const object = asObject(json, `ref ${name}`);
  const type = asString(object.type, `ref ${name} type`);
  if (type !== 'branch' && type !== 'tag') {
    throw new IcebergError('invalid_metadata', `ref ${name}: type must be branch or tag, got ${type}`);
  }
  const ref: SnapshotRef = { snapshotId: asLong(object['snapshot-id'], `ref ${name} snapshot-id`), type };
  const maxRefAgeMs = optional(object['max-ref-age-ms'], asInt, 'max-ref-age-ms');
  const maxSnapshotAgeMs = optional(object['max-snapshot-age-ms'], asInt, 'max-snapshot-age-ms');
  const minSnapshotsToKeep = optional(object['min-snapshots-to-keep'], asInt, 'min-snapshots-to-keep');
  if (maxRefAgeMs !== undefined) ref.maxRefAgeMs = maxRefAgeMs;
  if (maxSnapshotAgeMs !== undefined) ref.maxSnapshotAgeMs = maxSnapshotAgeMs;
  if (minSnapshotsToKeep !== undefined) ref.minSnapshotsToKeep = minSnapshotsToKeep;
  return ref;
}

/**
 * A new snapshot id: a positive 63-bit integer from 8 random bytes (pass them in to make
 * it deterministic). Java derives ids the same way, so ids are usually above 2^53.
 */
export function snapshotIdFromBytes(bytes: Uint8Array): bigint {
  if (bytes.length !== 8)
    throw new IcebergError('invalid_update', `snapshot id needs 8 random bytes, got ${bytes.length}`);
  const id = Buffer.from(bytes).readBigUInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
  // 0 is not a usable id (and -1 means "none" on the wire); fold it onto 1.
  return id === 0n ? 1n : id;
}

/** A fresh random snapshot id (see `snapshotIdFromBytes` for the deterministic form). */
export function newSnapshotId(): bigint {
  return snapshotIdFromBytes(randomBytes(8));
}
