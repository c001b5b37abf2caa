/**
 * The commit policy: the pure decision, its reading of table properties, and the gate the
 * iceberg_updater asks, on a real registry (pending statistics, manual requests).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { commitPending } from '../../lib/iceberg/commitPending.js';
import { clearAnsweredRequests } from '../../lib/registry/snapshotterState.js';
import {
  commitPolicyGate,
  parseProperties,
  policyFromProperties,
  shouldCommit,
} from '../../lib/snapshotter/commitPolicy.js';
import { requestSnapshot } from '../../lib/snapshotter/requestSnapshot.js';
import { type PolicyLake, policyLake } from './policyFixture.js';

const none = { files: 0, bytes: 0, oldestMs: undefined, requestedMs: undefined };
const T = 1_000_000;

describe('shouldCommit', () => {
  it('commits at once when the table sets no trigger (the default)', () => {
    expect(shouldCommit({}, { ...none, files: 1, bytes: 10, oldestMs: T }, T)).toEqual({
      commit: true,
      reason: 'immediate',
    });
    expect(shouldCommit({}, none, T)).toEqual({ commit: false, reason: 'nothing pending' });
  });

  it('waits for the first trigger met: files, bytes or the age of the oldest file', () => {
    const policy = { minFiles: 10, minBytes: 1000, maxAgeMs: 60_000 };
    const stats = { ...none, files: 3, bytes: 300, oldestMs: T };
    expect(shouldCommit(policy, stats, T + 1000)).toEqual({
      commit: false,
      reason: 'waiting',
      dueAtMs: T + 60_000,
    });
    expect(shouldCommit(policy, stats, T + 60_000)).toEqual({ commit: true, reason: 'max-age' });
    expect(shouldCommit(policy, { ...stats, files: 10 }, T)).toEqual({ commit: true, reason: 'min-files' });
    expect(shouldCommit(policy, { ...stats, bytes: 1000 }, T)).toEqual({ commit: true, reason: 'min-bytes' });
    // Without an age trigger a table waits for its count, however long.
    expect(shouldCommit({ minFiles: 10 }, stats, T + 1e9)).toEqual({ commit: false, reason: 'waiting' });
  });

  it('a manual request commits the files pending when it was made, not later ones', () => {
    const policy = { minFiles: 10 };
    expect(shouldCommit(policy, { ...none, files: 2, oldestMs: T, requestedMs: T + 5 }, T + 10).commit).toBe(
      true,
    );
    expect(
      shouldCommit(policy, { ...none, files: 2, oldestMs: T + 6, requestedMs: T + 5 }, T + 10).commit,
    ).toBe(false);
  });

  it('reads the policy from table properties, ignoring values that are not positive numbers', () => {
    expect(
      policyFromProperties({
        'astha.commit.min-files': '100',
        'astha.commit.max-age-seconds': '2.5',
        'astha.commit.min-bytes': '134217728',
      }),
    ).toEqual({ minFiles: 100, maxAgeMs: 2500, minBytes: 134217728 });
    expect(
      policyFromProperties({ 'astha.commit.min-files': 'many', 'astha.commit.max-age-seconds': '-1' }),
    ).toEqual({});
    expect(parseProperties('not json')).toEqual({});
    expect(parseProperties('{"a":"1","b":2}')).toEqual({ a: '1' });
  });
});

describe('commitPolicyGate on a real registry', () => {
  let lake: PolicyLake | undefined;
  afterEach(() => lake?.remove());

  it('holds files back until the count or the age trigger is met', async () => {
    lake = await policyLake({ 'astha.commit.min-files': '4', 'astha.commit.max-age-seconds': '60' });
    const gate = commitPolicyGate(lake.registry, lake.clock.now);
    expect(await gate(lake.tableId)).toBe(false);
    lake.clock.advance(61_000);
    expect(await gate(lake.tableId)).toBe(true);
    lake.clock.advance(-61_000);
    await lake.land(3);
    expect(await gate(lake.tableId)).toBe(true);
  });

  it('lets a look through when nothing is pending (it also finishes interrupted commits)', async () => {
    lake = await policyLake({ 'astha.commit.min-files': '4' });
    await commitPending(lake.tableId, { registry: lake.registry, store: lake.store });
    expect(await commitPolicyGate(lake.registry)(lake.tableId)).toBe(true);
  });

  it('opens on a manual request, which the commit answers', async () => {
    lake = await policyLake({ 'astha.commit.min-files': '100' });
    const gate = commitPolicyGate(lake.registry);
    expect(await gate(lake.tableId)).toBe(false);
    await requestSnapshot(lake.registry, lake.tableId);
    expect(await gate(lake.tableId)).toBe(true);
    // Not answered while its files are pending.
    expect(await clearAnsweredRequests(lake.registry.client)).toBe(0);

    await commitPending(lake.tableId, { registry: lake.registry, store: lake.store });
    expect(await clearAnsweredRequests(lake.registry.client)).toBe(1);
    // Files landing after the answered request wait for the policy again.
    await lake.land(1);
    expect(await gate(lake.tableId)).toBe(false);
  });

  it('refuses a request for a table that does not exist', async () => {
    lake = await policyLake({});
    await expect(requestSnapshot(lake.registry, 999)).rejects.toThrow(/not an active table/);
  });
});
