import { describe, it } from 'vitest';
import { createMemoryDatabase, createMemoryStore } from '../src/index.js';
import { runStoreConformance } from '../src/testing/index.js';

runStoreConformance({
  name: 'memory',
  describe,
  it,
  createStore: () => createMemoryStore(),
  // Several stores over one set of tables, as connections share one database.
  createStores: (count) => {
    const database = createMemoryDatabase();
    return Array.from({ length: count }, () => createMemoryStore({ database }));
  },
});
