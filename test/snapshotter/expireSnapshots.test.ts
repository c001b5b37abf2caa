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
import {
  expirationPlan,
  retentionFromProperties,
  snapshotsOverCap,
  snapshotsToExpire,
} from '../../lib/snapshotter/expireSnapshots.js';

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

  it('honours a branch max-snapshot-age-ms shorter than the table max age, and its min-snapshots-to-keep', () => {
    const base = dailyTable(10);
    const withMain = (ref: { maxSnapshotAgeMs?: number; minSnapshotsToKeep?: number }) =>
      applyUpdates(
        base,
        [{ action: 'set-snapshot-ref', refName: 'main', type: 'branch', snapshotId: 10n, ...ref }],
        { nowMs: T0 + 10 * DAY },
      );
    // Day 10.5: the table's 5 days would keep days 6..10; main's own 2 days keep 9 and 10 only.
    expect(snapshotsToExpire(base, T0 + 10.5 * DAY)).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(snapshotsToExpire(withMain({ maxSnapshotAgeMs: 2 * DAY }), T0 + 10.5 * DAY)).toEqual([
      1n,
      2n,
      3n,
      4n,
      5n,
      6n,
      7n,
      8n,
    ]);
    // Main's own count overrides the table's 1.
    expect(snapshotsToExpire(withMain({ minSnapshotsToKeep: 4 }), T0 + 100 * DAY)).toEqual([
      1n,
      2n,
      3n,
      4n,
      5n,
      6n,
    ]);
    // A snapshot on no branch still waits for the table's max age.
    const staged = applyUpdates(
      withMain({ maxSnapshotAgeMs: 2 * DAY }),
      [
        {
          action: 'add-snapshot',
          snapshot: {
            snapshotId: 20n,
            sequenceNumber: 11,
            timestampMs: T0 + 7 * DAY,
            manifestList: 's3://b/t/metadata/snap-20.avro',
            summary: { operation: 'append' },
          },
        },
      ],
      { nowMs: T0 + 10 * DAY },
    );
    expect(snapshotsToExpire(staged, T0 + 10.5 * DAY)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
    expect(snapshotsToExpire(staged, T0 + 12.5 * DAY)).toContain(20n);
  });

  it('removes refs other than main older than their max-ref-age-ms; their snapshots then expire like any other', () => {
    const metadata = applyUpdates(
      dailyTable(10),
      [
        { action: 'set-snapshot-ref', refName: 'old', type: 'tag', snapshotId: 2n, maxRefAgeMs: 30 * DAY },
        {
          action: 'set-snapshot-ref',
          refName: 'young',
          type: 'tag',
          snapshotId: 3n,
          maxRefAgeMs: 1000 * DAY,
        },
        {
          action: 'set-snapshot-ref',
          refName: 'audit',
          type: 'branch',
          snapshotId: 5n,
          minSnapshotsToKeep: 3,
        },
      ],
      { nowMs: T0 + 11 * DAY },
    );
    // Day 20: the old tag is 18 days old, within its 30; no table default: nothing removed.
    expect(expirationPlan(metadata, T0 + 20 * DAY)).toEqual({
      refsToRemove: [],
      snapshotIds: [1n, 6n, 7n, 8n, 9n],
    });
    // Day 100: the old tag goes and snapshot 2 with it; audit (no max ref age) keeps 3..5.
    expect(expirationPlan(metadata, T0 + 100 * DAY)).toEqual({
      refsToRemove: ['old'],
      snapshotIds: [1n, 2n, 6n, 7n, 8n, 9n],
    });
    // The table's default applies to refs without their own, never to main (90 days old here).
    const byTable = applyUpdates(
      metadata,
      [{ action: 'set-properties', updates: { 'history.expire.max-ref-age-ms': String(10 * DAY) } }],
      { nowMs: T0 + 11 * DAY },
    );
    expect(expirationPlan(byTable, T0 + 100 * DAY)).toEqual({
      refsToRemove: ['audit', 'old'],
      snapshotIds: [1n, 2n, 4n, 5n, 6n, 7n, 8n, 9n],
    });
  });

  it('reads retention properties, ignoring unusable values', () => {
    expect(retentionFromProperties({})).toEqual({
      maxSnapshotAgeMs: 5 * DAY,
      minSnapshotsToKeep: 1,
      maxRefAgeMs: Number.POSITIVE_INFINITY,
      maxSnapshots: 500,
    });
    expect(
      retentionFromProperties({
        'history.expire.max-snapshot-age-ms': 'soon',
        'history.expire.min-snapshots-to-keep': '0',
        'history.expire.max-ref-age-ms': '-1',
        'astha.history.max-snapshots': '0',
      }),
    ).toEqual({
      maxSnapshotAgeMs: 5 * DAY,
      minSnapshotsToKeep: 1,
      maxRefAgeMs: Number.POSITIVE_INFINITY,
      maxSnapshots: 500,
    });
    expect(retentionFromProperties({ 'history.expire.max-ref-age-ms': '86400000' }).maxRefAgeMs).toBe(DAY);
  });
});

describe('snapshotsOverCap (astha.history.max-snapshots)', () => {
  const range = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => BigInt(from + i));

  it('waits for a tenth over the ceiling, then cuts main back to it, oldest first, whatever the age', () => {
    // 10 daily snapshots are all young on day 10 by age; the ceiling alone decides.
    expect(snapshotsOverCap(dailyTable(11, { 'astha.history.max-snapshots': '10' }))).toEqual([]);
    expect(snapshotsOverCap(dailyTable(12, { 'astha.history.max-snapshots': '10' }))).toEqual([1n, 2n]);
    // The snapshotter's expiration applies the same ceiling to snapshots its age rule keeps.
    const young = {
      'astha.history.max-snapshots': '10',
      'history.expire.max-snapshot-age-ms': String(100 * DAY),
    };
    expect(snapshotsToExpire(dailyTable(11, young), T0 + 12 * DAY)).toEqual([1n]);
  });

  it('never goes below min-snapshots-to-keep and keeps what a ref or `keep` needs', () => {
    const floor = dailyTable(30, {
      'astha.history.max-snapshots': '10',
      'history.expire.min-snapshots-to-keep': '25',
    });
    expect(snapshotsOverCap(floor)).toEqual(range(1, 5));
    const tagged = applyUpdates(
      dailyTable(30, { 'astha.history.max-snapshots': '10' }),
      [{ action: 'set-snapshot-ref', refName: 'audit', type: 'tag', snapshotId: 3n }],
      { nowMs: T0 + 30 * DAY },
    );
    expect(snapshotsOverCap(tagged, new Set([7n]))).toEqual(
      range(1, 20).filter((id) => id !== 3n && id !== 7n),
    );
  });
});
