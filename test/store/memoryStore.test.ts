import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../lib/store/memoryStore.js';
import { objectStoreContract } from './objectStoreContract.js';

objectStoreContract('memory', {
  open: async () => new MemoryStore(),
  etagChangesOnIdenticalRewrite: true,
  paginationKeys: 120,
});

describe('MemoryStore', () => {
  it('is one store per name in a process', async () => {
    const a = MemoryStore.named('shared-name');
    await a.put('k', 'v');
    expect(MemoryStore.named('shared-name')).toBe(a);
    expect(await MemoryStore.named('other-name').head('k')).toBeUndefined();
  });

  it('hands out copies, so callers cannot change stored bytes', async () => {
    const store = new MemoryStore();
    const body = new Uint8Array([1, 2, 3]);
    await store.put('k', body);
    body[0] = 9;
    const read = await store.get('k');
    read[1] = 9;
    expect(await store.get('k')).toEqual(new Uint8Array([1, 2, 3]));
  });
});
