#!/usr/bin/env node
// Runs a TypeScript script of this repository: bundles it with esbuild (Parley's packages from
// their sources, so nothing needs building first; other packages stay imports), then calls its
// `main(...args)`. Usage: node scripts/run-ts.mjs scripts/generate-api-docs.ts [args…]
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleForNode } from './bundle-for-node.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...args] = process.argv.slice(2);
if (entry === undefined) {
  process.stderr.write('usage: node scripts/run-ts.mjs <script.ts> [args…]\n');
  process.exit(2);
}
// Inside node_modules, so the bundle's own imports (zod, …) resolve from the repository's.
const outdir = join(root, 'node_modules', '.cache', 'parley-scripts');
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, `${basename(entry).replace(/\.ts$/, '')}.mjs`);
await bundleForNode(resolve(entry), outfile);
const { main } = await import(pathToFileURL(outfile).href);
try {
  await main(...args);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
