import { defineConfig } from 'tsup';
import { parleyBuild } from '../../tsup.base.js';

export default defineConfig(parleyBuild({ index: 'src/index.ts', 'testing/index': 'src/testing/index.ts', 'adapter-kit/index': 'src/adapter-kit/index.ts', 'protocol/index': 'src/realtime/wire/index.ts' }));
