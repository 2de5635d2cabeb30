import fc from 'fast-check';
import { describe, it } from 'vitest';
import { createMemoryStore } from '../src/index.js';
import { runModelConformance } from '../src/testing/index.js';

runModelConformance({ name: 'memory', describe, it, fc, createStore: () => createMemoryStore(), numRuns: 60 });
