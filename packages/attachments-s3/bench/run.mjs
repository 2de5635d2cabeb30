#!/usr/bin/env node
// `npm run bench -w packages/attachments-s3`: bundles throughput.ts with esbuild (Parley's
// packages from their sources, nothing to build first) and runs it. Arguments pass through.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleForNode } from '../../../scripts/bundle-for-node.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, 'dist', 'throughput.mjs');
await bundleForNode(join(here, 'throughput.ts'), outfile);
const { main } = await import(pathToFileURL(outfile).href);
await main(process.argv.slice(2));
