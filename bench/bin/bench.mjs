#!/usr/bin/env node
// Entry of `npm run bench`: bundles the runner with esbuild (Parley's packages from their
// sources, nothing to build first) and runs it. The runner bundles its child processes itself.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { bundle } = await import(pathToFileURL(join(here, 'build.mjs')).href);
const cli = join(here, '..', 'dist', 'cli.mjs');
await bundle(join(here, '..', 'src', 'cli.ts'), cli);
const { main } = await import(pathToFileURL(cli).href);
try {
  await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
