// The one esbuild call the launcher needs before TypeScript can run (the repository's shared
// setup; src/build.ts bundles the children with source maps and code splitting).
export { bundleForNode as bundle } from '../../scripts/bundle-for-node.mjs';
