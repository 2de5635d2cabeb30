/** Builds the demo's bundles (see build.mjs); resolves with the names of those it built. */
export function buildDemo(options?: { only?: Array<'server' | 'web'>; force?: boolean }): Promise<string[]>;
export const BUNDLES: Record<'server' | 'web', Record<string, unknown>>;
