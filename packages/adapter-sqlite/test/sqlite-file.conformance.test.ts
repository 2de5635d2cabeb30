import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStoreConformance } from '@parley/core/testing';
import { afterAll, describe, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../src/index.js';
import { inspectSqlite } from './inspect-sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-sqlite-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStoreConformance({
  name: 'sqlite file (WAL)',
  describe,
  it,
  createStore: () => createSqliteStore({ filename: join(dir, `store-${(n += 1)}.db`) }),
  inspect: (store) => inspectSqlite((store as SqliteStore).database),
  // Several connections to one file, as several processes would open it.
  createStores: (count) => {
    const filename = join(dir, `shared-${(n += 1)}.db`);
    return Array.from({ length: count }, () => createSqliteStore({ filename }));
  },
});
