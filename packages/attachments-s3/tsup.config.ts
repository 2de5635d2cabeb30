import { defineConfig } from 'tsup';
import { parleyBuild } from '../../tsup.base.js';

export default defineConfig(parleyBuild({ index: 'src/index.ts' }));
