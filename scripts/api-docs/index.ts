import { buildAsyncApi } from './asyncapi.js';
import { buildOpenApi } from './openapi.js';

/** The generated documents, by path from the repository root, as the files hold them. */
export function apiDocuments(): Record<string, string> {
  return {
    'docs/openapi.json': `${JSON.stringify(buildOpenApi(), null, 2)}\n`,
    'docs/asyncapi.json': `${JSON.stringify(buildAsyncApi(), null, 2)}\n`,
  };
}

/** How to bring them up to date. */
export const REGENERATE = 'npm run docs';
