import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv } from 'ajv';
import { CLIENT_EVENTS, REPLY_OF, broadcastSchemas, serverEventSchemas } from '@parley/core/protocol';
import { describe, expect, it } from 'vitest';
import { apiDocuments, REGENERATE } from '../api-docs/index.js';
import { openApiPath, restRoutes } from '../api-docs/openapi.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
type Doc = Record<string, any>;
const committed = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as Doc;

/** The AsyncAPI 3.0.0 JSON Schema from @asyncapi/specs (it embeds its own draft-07 meta-schema). */
function asyncApiValidator() {
  const ajv = new Ajv({ allErrors: true, strict: false, meta: false, validateSchema: false, validateFormats: false });
  return ajv.compile(require('@asyncapi/specs/schemas/3.0.0.json') as object);
}

describe('API documents (docs/openapi.json, docs/asyncapi.json)', () => {
  it('are what the zod schemas generate today', () => {
    for (const [path, text] of Object.entries(apiDocuments())) {
      const onDisk = readFileSync(join(root, path), 'utf8');
      if (onDisk !== text) throw new Error(`${path} is stale: the schemas or routes changed. Run \`${REGENERATE}\` and commit ${path}.`);
    }
  });

  it('have every route of routes.ts, /health and /metrics in the OpenAPI document, and nothing else', () => {
    const doc = committed('docs/openapi.json');
    const expected = restRoutes().map((r) => `${r.method} ${openApiPath(r.path)} ${r.name}`);
    expected.push('GET /health health', 'GET /metrics metrics');
    const documented = Object.entries(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(documented.sort()).toEqual(expected.sort());
    for (const route of restRoutes()) {
      const op = doc.paths[openApiPath(route.path)][route.method.toLowerCase()];
      expect(Object.keys(op.responses), route.name).toContain(String(route.status ?? 200));
      expect(op.responses['401'], route.name).toBeDefined();
    }
  });

  it('have every client event (with its reply) and every server event in the AsyncAPI document', () => {
    const doc = committed('docs/asyncapi.json');
    const channel = doc.channels.chat.messages as Record<string, unknown>;
    for (const event of CLIENT_EVENTS) {
      expect(doc.components.messages[event], event).toBeDefined();
      expect(channel[event], event).toBeDefined();
      expect(doc.operations[event]).toMatchObject({
        action: 'receive',
        messages: [{ $ref: `#/channels/chat/messages/${event}` }],
        reply: { messages: [{ $ref: `#/channels/chat/messages/${REPLY_OF[event]}` }, { $ref: '#/channels/chat/messages/error' }] },
      });
    }
    for (const event of Object.keys(serverEventSchemas)) {
      expect(doc.components.messages[event], event).toBeDefined();
      expect(channel[event], event).toBeDefined();
    }
    for (const event of Object.keys(broadcastSchemas)) expect(doc.operations[`send_${event}`]?.action, event).toBe('send');
    expect(doc.channels.chat['x-close-codes'].map((c: { code: number }) => c.code)).toEqual([1000, 1001, 1009, 4400, 4401, 4403, 4408, 4429, 4500]);
  });

  it('OpenAPI: valid OpenAPI 3.1 (swagger-parser), and a broken copy is caught', async () => {
    await SwaggerParser.validate(committed('docs/openapi.json') as never);
    const broken = committed('docs/openapi.json');
    broken.paths['/conversations'].get.parameters[0].in = 'body'; // OpenAPI 2's word, not 3's
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow();
  });

  it('AsyncAPI: valid against the AsyncAPI 3.0.0 JSON Schema, and a broken copy is caught', () => {
    const validate = asyncApiValidator();
    const ok = validate(committed('docs/asyncapi.json'));
    expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 3))).toEqual([]);
    expect(ok).toBe(true);
    const broken = committed('docs/asyncapi.json');
    broken.operations.ping.action = 'publish'; // AsyncAPI 2's word, not 3's
    expect(validate(broken)).toBe(false);
  });
});
