import * as zm from 'zod/mini';
import type { $ZodType } from 'zod/v4/core';
import { ERROR_CODES, type ErrorCode } from '@parley/core';
import { errorPayloadSchema, healthSchema } from '@parley/core/protocol';
import { STATUS_BY_CODE } from '../../packages/transport-http/src/http-io.js';
import { chatRoutes } from '../../packages/transport-http/src/routes.js';
import type { Route } from '../../packages/transport-http/src/router.js';
import { SchemaComponents, toJsonSchema, type JsonSchema } from './json-schema.js';
import { ROUTE_DOCS, type RouteDoc } from './rest-routes.js';
import httpPackage from '../../packages/transport-http/package.json' with { type: 'json' };

/** The routes of `routes.ts`, as the REST handler builds them (their handlers are never called here). */
export function restRoutes(): Route[] {
  return chatRoutes({ conversations: {}, messages: {}, attachments: {} } as never);
}

/** `/conversations/:id` → `/conversations/{id}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

const RESPONSE_NAMES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'Unavailable',
};

const RESPONSE_TEXT: Record<number, string> = {
  400: 'The input was refused: `details.field` names the first bad field, `details.issues` every one.',
  401: 'No token, or the host’s `authenticate` refused it.',
  403: 'The user is not `active`, or may not do this (a role rule).',
  404: 'No such route, or nothing the caller may see under that id (a conversation the caller is not in answers 404 too).',
  405: 'The path exists under other methods; the `Allow` header lists them.',
  409: 'The target’s state forbids it (a deleted message, an attachment already used or not uploaded yet, too many distinct reactions).',
  413: 'The body is larger than `maxBodyBytes` (1 MiB by default); the connection is closed.',
  429: 'A rate limit: wait `Retry-After` seconds (`details.retryAfterMs`).',
  500: 'A bug: nothing useful to retry.',
  503: 'Storage is unavailable; nothing was stored. Try again later.',
};

/** The statuses an operation can answer with, besides its success. */
function errorStatuses(route: Route, doc: RouteDoc): number[] {
  const params = route.path.includes(':');
  const statuses = [401, 403];
  if (params || doc.query !== undefined || doc.body !== undefined) statuses.push(400);
  if (params || doc.body !== undefined) statuses.push(404);
  if (doc.conflict) statuses.push(409);
  if (doc.body !== undefined) statuses.push(413);
  if (route.method !== 'GET') statuses.push(429);
  statuses.push(500, 503);
  return [...new Set(statuses)].sort((a, b) => a - b);
}

function pathParameters(route: Route) {
  const what: Record<string, string> = {
    conversations: 'The conversation’s id.',
    messages: 'The message’s id.',
    attachments: 'The attachment’s id.',
  };
  const segments = route.path.split('/').filter(Boolean);
  return segments
    .map((segment, i) => ({ segment, before: segments[i - 1] }))
    .filter(({ segment }) => segment.startsWith(':'))
    .map(({ segment, before }) => {
      const name = segment.slice(1);
      const description = name === 'memberId' ? 'The member’s user id.' : (what[before ?? ''] ?? `The ${name}.`);
      return { name, in: 'path', required: true, description, schema: { type: 'string', minLength: 1, maxLength: 128 } };
    });
}

function queryParameters(doc: RouteDoc) {
  if (doc.query === undefined) return [];
  return Object.entries(doc.query.shape).map(([field, schema]) => {
    const zodSchema = schema as $ZodType;
    return {
      name: doc.queryNames?.[field] ?? field,
      in: 'query',
      required: zodSchema._zod.optin !== 'optional',
      schema: toJsonSchema(zodSchema, 'draft-2020-12'),
    };
  });
}

/**
 * The OpenAPI 3.1 document of the REST API: every route of `routes.ts` (method, path, status
 * from the route; schemas from ROUTE_DOCS), `/health` and `/metrics`. Schemas are converted
 * from zod with `z.toJSONSchema`.
 */
export function buildOpenApi(): JsonSchema {
  const components = new SchemaComponents('#/components/schemas/', 'draft-2020-12');
  const errorBody = components.ref(zm.object({ error: errorPayloadSchema }), 'ErrorResponse');
  const paths: Record<string, Record<string, unknown>> = {};
  const usedStatuses = new Set<number>();

  for (const route of restRoutes()) {
    const doc = ROUTE_DOCS[route.name];
    if (doc === undefined) throw new Error(`Route ${route.method} ${route.path} (${route.name}) has no entry in scripts/api-docs/rest-routes.ts`);
    const parameters = [...pathParameters(route), ...queryParameters(doc)];
    const errors = errorStatuses(route, doc);
    errors.forEach((status) => usedStatuses.add(status));
    const status = route.status ?? 200;
    const operation: Record<string, unknown> = {
      operationId: route.name,
      tags: [doc.tag],
      summary: doc.summary,
      ...(doc.description === undefined ? {} : { description: doc.description }),
      ...(parameters.length === 0 ? {} : { parameters }),
      ...(doc.body === undefined
        ? {}
        : {
            requestBody: {
              required: doc.body.required !== false,
              content: { 'application/json': { schema: components.ref(doc.body.schema, doc.body.name) } },
            },
          }),
      responses: {
        [String(status)]: {
          description: status === 201 ? 'Created' : 'OK',
          content: { 'application/json': { schema: components.ref(doc.response.schema, doc.response.name) } },
        },
        ...Object.fromEntries(errors.map((code) => [String(code), { $ref: `#/components/responses/${RESPONSE_NAMES[code]}` }])),
      },
    };
    const path = openApiPath(route.path);
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }

  paths['/health'] = {
    get: {
      operationId: 'health',
      tags: ['Operations'],
      summary: 'Storage, presence and broker health (no token)',
      description: '`unhealthy` when the store does not answer or its writes keep failing; `degraded` when presence or the broker is down and chat still works on this node.',
      security: [],
      responses: {
        '200': { description: '`healthy` or `degraded`', content: { 'application/json': { schema: components.ref(healthSchema, 'Health') } } },
        '503': { description: '`unhealthy`', content: { 'application/json': { schema: components.ref(healthSchema, 'Health') } } },
      },
    },
  };
  paths['/metrics'] = {
    get: {
      operationId: 'metrics',
      tags: ['Operations'],
      summary: 'Prometheus metrics (no token)',
      description: 'Absent when the handler was created with `metrics: false`.',
      security: [],
      responses: { '200': { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  };
  usedStatuses.add(405);

  const codesByStatus = new Map<number, ErrorCode[]>();
  for (const code of ERROR_CODES) codesByStatus.set(STATUS_BY_CODE[code], [...(codesByStatus.get(STATUS_BY_CODE[code]) ?? []), code]);
  const responses: Record<string, unknown> = {};
  for (const status of [...usedStatuses].sort((a, b) => a - b)) {
    const codes = codesByStatus.get(status) ?? [];
    const headers = status === 429 ? { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } } : status === 405 ? { Allow: { description: 'The methods this path takes.', schema: { type: 'string' } } } : undefined;
    responses[RESPONSE_NAMES[status]!] = {
      description: `${RESPONSE_TEXT[status]} Codes: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
      ...(headers === undefined ? {} : { headers }),
      content: { 'application/json': { schema: errorBody } },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley REST API',
      version: httpPackage.version,
      license: { name: 'MIT', identifier: 'MIT' },
      description: [
        'The REST API of `@parley/transport-http` (`createHttpHandler`). Generated from the zod schemas by `npm run docs`: do not edit by hand.',
        '',
        'JSON in and out. Every route but `/health` and `/metrics` needs `Authorization: Bearer <token>`, checked by the host’s `authenticate`.',
        'Errors are `{ "error": { "code", "message", "details"? } }`; `details.field` names the bad input. A path that exists under another method answers 405 with `Allow`.',
        'Requests that change something (every method but GET) count against a per-user limit (120 per 60 s by default; 429 with `Retry-After`).',
        'Schemas show the default limits (`createChatServices({ limits })` changes them). Query values arrive as text: numbers and `true`/`false` (or `1`/`0`) are parsed.',
        'A state change raises the same real-time events as its WebSocket twin (see asyncapi.json).',
      ].join('\n'),
    },
    servers: [{ url: '{basePath}', description: 'Where the host mounts the handler', variables: { basePath: { default: '/api' } } }],
    security: [{ bearer: [] }],
    tags: [
      { name: 'Conversations', description: 'Direct and group conversations, and the caller’s own settings for them (archive, mute).' },
      { name: 'Members', description: 'Who is in a group, and their roles.' },
      { name: 'Messages', description: 'Messages, reactions, read positions, search and catch-up.' },
      {
        name: 'Attachments',
        description:
          'File uploads, when the host configured `attachments: { storage }`. The bytes go straight to the URL of the upload slot, not through these routes; with `@parley/attachments-local` those URLs are under its `publicUrl` (`PUT …/u/<token>` and `GET …/d/<token>/<name>`), served by the same handler.',
      },
      {
        name: 'Moderation',
        description:
          'Bans, muting members, slow mode, blocks between users, reports and the audit log. Conversation-level actions need the `moderate` capability (admins and the owner by default; `capabilities` in a conversation says what the caller may do). Every action is written to the audit log in its own transaction.',
      },
      { name: 'Operations', description: 'Health and metrics, for load balancers and monitoring. They need no token: keep them off the public internet.' },
    ],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token the host’s `authenticate` accepts (with `jwtAuthenticator`, a JWT).' } },
      responses,
      schemas: components.build(),
    },
  };
}
