/**
 * Which snapshots retention lets go, on metadata built with the spec's own builder: the
 * current snapshot and ref targets stay, the newest K of a branch stay, young ones stay,
 * per-branch settings override the table's, and snapshots off every branch go by age.
 */
import { describe, expect, it } from 'vitest';
import { newTableMetadata } from '../../lib/iceberg/spec/newTableMetadata.js';
import type { Snapshot } from '../../lib/iceberg/spec/snapshot.js';
import type { TableMetadata } from '../../lib/iceberg/spec/tableMetadata.js';
import { applyUpdates } from '../../lib/iceberg/spec/tableMetadataBuilder.js';
import type { TableUpdate } from '../../lib/iceberg/spec/tableUpdate.js';
import type { Schema } from '../../lib/iceberg/spec/types.js';
import { retentionFromProperties, snapshotsToExpire } from '../../lib/snapshotter/expireSnapshots.js';

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2026, 0, 1);
const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [{ id: 1, name: 'id', required: true, type: 'long' }],
};

/** A table whose main branch has one snapshot per day: ids 1..days, snapshot i at T0 + i days. */
function dailyTable(days: number, properties: Record<string, string> = {}): TableMetadata {
  let metadata = newTableMetadata({
    location: 's3://b/t',
    schema,
    properties,
    uuid: '11111111-2222-3333-4444-555555555555',
    nowMs: T0,
  });
  for (let i = 1; i <= days; i++)
    metadata = applyUpdates(metadata, append(BigInt(i), i), { nowMs: T0 + i * DAY });
  return metadata;
}

function append(
  id: bigint,
  day: number,
  parent: bigint | undefined = id > 1n ? id - 1n : undefined,
): TableUpdate[] {
  const snapshot: Snapshot = {
    snapshotId: id,
    sequenceNumber: Number(id),
    timestampMs: T0 + day * DAY,
    manifestList: `s3://b/t/metadata/snap-${id}.avro`,
    summary: { operation: 'append' },
    ...(parent === undefined ? {} : { parentSnapshotId: parent }),
  };
  return [
    { action: 'add-snapshot', snapshot },
    { action: 'set-snapshot-ref', refName: 'main', type: 'branch', snapshotId: id },
  ];
}

describe('snapshotsToExpire', () => {
  it('keeps snapshots younger than 5 days by default, and always the current one', () => {
    const metadata = dailyTable(10);
    // At day 12: snapshots of days 1..7 are at least 5 days old.
    expect(snapshotsToExpire(metadata, T0 + 12 * DAY)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    // Long after, only the current snapshot stays (min-snapshots-to-keep 1).
    expect(snapshotsToExpire(metadata, T0 + 100 * DAY)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
    expect(snapshotsToExpire(metadata, T0 + 10 * DAY)).toEqual([1n, 2n, 3n, 4n, 5n]);
  });

  it('keeps at least min-snapshots-to-keep of the branch, and honours max-snapshot-age-ms', () => {
    const metadata = dailyTable(10, {
      'history.expire.min-snapshots-to-keep': '3',
      'history.expire.max-snapshot-age-ms': String(2 * DAY),
    });
    expect(snapshotsToExpire(metadata, T0 + 100 * DAY)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    // Day 10.5: snapshots of days 9 and 10 are younger than 2 days, 8 is kept as third newest.
    expect(snapshotsToExpire(metadata, T0 + 10.5 * DAY)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    // With one to keep, the age decides: days 9 and 10 are younger than 2 days at day 10.5.
    const byAge = dailyTable(10, { 'history.expire.max-snapshot-age-ms': String(2 * DAY) });
    expect(snapshotsToExpire(byAge, T0 + 10.5 * DAY)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
  });

  it('never expires a tagged snapshot or another branch head; branch settings override the table', () => {
    let metadata = dailyTable(10);
    metadata = applyUpdates(
      metadata,
      [
        { action: 'set-snapshot-ref', refName: 'release', type: 'tag', snapshotId: 2n },
        {
          action: 'set-snapshot-ref',
          refName: 'audit',
          type: 'branch',
          snapshotId: 5n,
          minSnapshotsToKeep: 2,
        },
      ],
      { nowMs: T0 + 11 * DAY },
    );
    // audit keeps 5 and its parent 4; the tag keeps 2; main keeps 10.
    expect(snapshotsToExpire(metadata, T0 + 100 * DAY)).toEqual([1n, 3n, 6n, 7n, 8n, 9n]);
  });

  it('lets go of snapshots off every branch by age only', () => {
    // Snapshot 20 was committed on no branch (e.g. a staged write), at day 3.
    let metadata = dailyTable(4);
    const staged: Snapshot = {
      snapshotId: 20n,
      sequenceNumber: 5,
      timestampMs: T0 + 3 * DAY,
      manifestList: 's3://b/t/metadata/snap-20.avro',
      summary: { operation: 'append' },
    };
    metadata = applyUpdates(metadata, [{ action: 'add-snapshot', snapshot: staged }], {
      nowMs: T0 + 5 * DAY,
    });
    expect(snapshotsToExpire(metadata, T0 + 5.5 * DAY)).toEqual([]);
    expect(snapshotsToExpire(metadata, T0 + 9 * DAY)).toEqual([1n, 2n, 3n, 20n]);
  });

  it('reads retention properties, ignoring unusable values', () => {
    expect(retentionFromProperties({})).toEqual({ maxSnapshotAgeMs: 5 * DAY, minSnapshotsToKeep: 1 });
    expect(
      retentionFromProperties({
        'history.expire.max-snapshot-age-ms': 'soon',
        'history.expire.min-snapshots-to-keep': '0',
      }),
    ).toEqual({ maxSnapshotAgeMs: 5 * DAY, minSnapshotsToKeep: 1 });
  });
});
