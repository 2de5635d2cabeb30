import { defineConfig } from 'tsup';
import { parleyBuild } from '../../tsup.base.js';

// The client runs in browsers as well as Node: built for ES2022 on a neutral platform, so no
// Node built-in is assumed.
export default defineConfig(parleyBuild({ index: 'src/index.ts' }, { platform: 'neutral', target: 'es2022' }));
