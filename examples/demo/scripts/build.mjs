// Builds the demo with esbuild, straight from the workspace sources (the `source` export
// condition), so `npm start` needs no type declarations and no build of the other packages:
//   dist/server.js        the server (src/main.ts), @parley/* inlined, npm dependencies left to node_modules
//   dist/public/app.js    the page (web/app.js with @parley/client), minified for the browser
// A build is skipped when no input changed since the last one (esbuild's metafile lists them).
// esbuild rather than tsup: one small call per bundle that can inline workspace sources, and it
// is already the root's devDependency (tsup runs on it).
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const demoDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = join(demoDir, 'dist');

/** Workspace packages are bundled from source; every other bare import stays an import. */
const npmPackagesExternal = {
  name: 'npm-packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@parley/') ? undefined : { path: args.path, external: true }));
  },
};

export const BUNDLES = {
  server: {
    entryPoints: { server: join(demoDir, 'src/main.ts') },
    outdir: distDir,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    plugins: [npmPackagesExternal],
  },
  web: {
    entryPoints: { app: join(demoDir, 'web/app.js') },
    outdir: join(distDir, 'public'),
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: 'linked',
  },
};

const metaFile = (name) => join(distDir, `.${name}.meta.json`);

/** True when the bundle exists and none of the files it was built from changed since. */
function upToDate(name) {
  const file = metaFile(name);
  if (!existsSync(file)) return false;
  const { inputs, outputs } = JSON.parse(readFileSync(file, 'utf8'));
  const root = demoDir;
  let built = Infinity;
  for (const output of outputs) {
    const path = resolve(root, output);
    if (!existsSync(path)) return false;
    built = Math.min(built, statSync(path).mtimeMs);
  }
  return inputs.every((input) => existsSync(resolve(root, input)) && statSync(resolve(root, input)).mtimeMs <= built);
}

function writeWhole(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const aside = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(aside, contents);
  renameSync(aside, path);
}

/** Builds the named bundles (default both); `force` ignores what is up to date. Returns the ones built. */
export async function buildDemo({ only = Object.keys(BUNDLES), force = false } = {}) {
  mkdirSync(distDir, { recursive: true });
  const built = [];
  for (const name of only) {
    if (!force && upToDate(name)) continue;
    const result = await build({ ...BUNDLES[name], bundle: true, conditions: ['source'], metafile: true, logLevel: 'warning', absWorkingDir: demoDir, write: false });
    // Each file lands whole (written aside, then renamed): a server reading it meanwhile, or a
    // second build running at the same time (test files in parallel), never sees half of one.
    for (const file of result.outputFiles) writeWhole(file.path, file.contents);
    const meta = result.metafile;
    writeWhole(metaFile(name), JSON.stringify({ inputs: Object.keys(meta.inputs), outputs: Object.keys(meta.outputs), bytes: Object.fromEntries(Object.entries(meta.outputs).map(([k, v]) => [k, v.bytes])) }));
    built.push(name);
  }
  return built;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const force = process.argv.includes('--force');
  const built = await buildDemo({ force });
  if (process.argv.includes('--verbose')) process.stdout.write(built.length === 0 ? 'demo: up to date\n' : `demo: built ${built.join(', ')}\n`);
}
