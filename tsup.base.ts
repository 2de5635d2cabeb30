import type { Options } from 'tsup';

/**
 * One build for every package: ESM and CJS with type declarations for both, Node 20
 * target, dependencies left external (the package manager provides them).
 */
export function parleyBuild(entry: Record<string, string>, overrides: Options = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: true,
    treeshake: true,
    outDir: 'dist',
    ...overrides,
  };
}
