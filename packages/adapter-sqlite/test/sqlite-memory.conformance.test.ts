import { runStoreConformance } from '@parley/core/testing';
import { describe, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../src/index.js';
import { inspectSqlite } from './inspect-sqlite.js';

runStoreConformance({
  name: 'sqlite :memory:',
  describe,
  it,
  createStore: () => createSqliteStore({ filename: ':memory:' }),
  inspect: (store) => inspectSqlite((store as SqliteStore).database),
});
