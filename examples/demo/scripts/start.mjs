// `npm start` at the repository root: build what changed (in well under a second), then run.
import { buildDemo } from './build.mjs';

await buildDemo();
await import('../dist/server.js');
