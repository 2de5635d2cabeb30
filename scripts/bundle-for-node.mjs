// The one esbuild setup for running this repository's TypeScript under plain Node: Parley's
// own packages are bundled from their sources (the `source` condition, as vitest reads them),
// every other package stays an import that Node resolves — so `outfile` must lie inside the
// repository (under node_modules/.cache) for those imports to resolve.
import { build } from 'esbuild';

/** Bundles `entry` into `outfile` (ESM for Node 20); `options` adds to or overrides esbuild's. */
export async function bundleForNode(entry, outfile, options = {}) {
  await build({
    entryPoints: [entry],
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
    ...options,
  });
}
