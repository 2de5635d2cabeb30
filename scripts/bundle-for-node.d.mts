import type { BuildOptions } from 'esbuild';

/** Bundles `entry` into `outfile` (ESM for Node 20): Parley's packages from their sources, other packages left as imports. */
export function bundleForNode(entry: string, outfile: string, options?: BuildOptions): Promise<void>;
