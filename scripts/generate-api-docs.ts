import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiDocuments } from './api-docs/index.js';

/**
 * `npm run docs`: writes docs/openapi.json (REST) and docs/asyncapi.json (WebSocket),
 * generated from the zod schemas. Run from the repository root (npm does).
 */
export function main(root = process.cwd()): void {
  for (const [path, text] of Object.entries(apiDocuments())) {
    writeFileSync(join(root, path), text);
    process.stdout.write(`wrote ${path} (${(text.length / 1024).toFixed(1)} KiB)\n`);
  }
}
