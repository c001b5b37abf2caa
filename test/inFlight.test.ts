import { describe, expect, it } from 'vitest';
import { mapInFlight } from '../lib/inFlight.js';

describe('mapInFlight', () => {
  it('keeps input order, never runs more than the limit at once, and runs them side by side', async () => {
    let running = 0;
    let most = 0;
    const results = await mapInFlight([50, 10, 30, 20, 40, 5, 15], 3, async (ms, i) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return `${i}:${ms}`;
    });
    expect(results).toEqual(['0:50', '1:10', '2:30', '3:20', '4:40', '5:5', '6:15']);
    expect(most).toBe(3);
  });

  it('rejects with the first failure and handles an empty list', async () => {
    expect(await mapInFlight([], 4, async () => 1)).toEqual([]);
    await expect(
      mapInFlight([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('two failed');
        return n;
      }),
    ).rejects.toThrow('two failed');
  });
});
