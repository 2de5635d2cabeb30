#!/usr/bin/env node
// `npm run bench -w packages/attachments-s3`: bundles throughput.ts with esbuild (Parley's
// packages from their sources, nothing to build first) and runs it. Arguments pass through.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, 'dist', 'throughput.mjs');
await build({
  entryPoints: [join(here, 'throughput.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['source'],
  logLevel: 'error',
  plugins: [
    {
      name: 'external-dependencies',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@parley/') ? undefined : { path: args.path, external: true }));
      },
    },
  ],
});
const { main } = await import(pathToFileURL(outfile).href);
await main(process.argv.slice(2));
