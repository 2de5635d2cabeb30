import { describe, it } from 'vitest';
import { createMemoryStore } from '../src/index.js';
import { runStoreConformance } from '../src/testing/index.js';

runStoreConformance({ name: 'memory', describe, it, createStore: () => createMemoryStore() });
