import { defineConfig } from 'tsup';
import { parleyBuild } from '../../tsup.base.js';

// Shims: the WAL checkpoint worker finds better-sqlite3 through import.meta.url, in the CJS build too.
export default defineConfig(parleyBuild({ index: 'src/index.ts' }, { shims: true }));
