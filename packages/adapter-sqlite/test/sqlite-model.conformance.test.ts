import { runModelConformance } from '@parley/core/testing';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { createSqliteStore } from '../src/index.js';

runModelConformance({ name: 'sqlite', describe, it, fc, createStore: () => createSqliteStore({ filename: ':memory:' }), numRuns: 40 });
