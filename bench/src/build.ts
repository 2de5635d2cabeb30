import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

/** The bench package's folder (this file is `src/build.ts`, or bundled into `dist/`). */
export const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Bundles {
  server: string;
  generator: string;
}

/**
 * Bundles the children with esbuild: Parley's packages from their sources (the `source`
 * export condition, as the tests read them — no `npm run build` needed), every other package
 * left to Node. The files land inside the repository so those imports resolve.
 */
export async function buildBundles(outDir = join(benchDir, 'dist')): Promise<Bundles> {
  mkdirSync(outDir, { recursive: true });
  // Split into chunks, so a server process loads only its own server's code and packages.
  await build({
    ...common,
    entryPoints: { server: join(benchDir, 'src', 'servers', 'main.ts'), 'load-generator': join(benchDir, 'src', 'load-generator.ts') },
    outdir: outDir,
    splitting: true,
    outExtension: { '.js': '.mjs' },
  });
  return { server: join(outDir, 'server.mjs'), generator: join(outDir, 'load-generator.mjs') };
}

export async function bundle(entry: string, outfile: string): Promise<void> {
  await build({ ...common, entryPoints: [entry], outfile });
}

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['source'],
  sourcemap: 'linked',
  logLevel: 'error',
  plugins: [
    {
      name: 'external-dependencies',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@parley/') ? undefined : { path: args.path, external: true }));
      },
    },
  ],
} satisfies BuildOptions;
