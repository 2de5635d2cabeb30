import { z } from 'zod';
import * as zm from 'zod/mini';
import {
  attachmentDownloadSchema,
  attachmentInfoSchema,
  attachmentSchema,
  broadcastSchemas,
  CLIENT_EVENTS,
  clientFrameSchema,
  CloseCode,
  conversationSchema,
  errorPayloadSchema,
  memberSchema,
  messageSchema,
  reactionSummarySchema,
  replySchemas,
  REPLY_OF,
  serverEventSchemas,
  serverFrameSchema,
  syncEntrySchema,
  uploadSlotSchema,
  type ClientEvent,
  type ServerEvent,
} from '@parley/core/protocol';
import corePackage from '../../packages/core/package.json' with { type: 'json' };
import { SchemaComponents, type JsonSchema } from './json-schema.js';
import { clientDataSchema, CLIENT_EVENT_DOCS, CLOSE_CODE_DOCS, SERVER_EVENT_DOCS } from './ws-events.js';

const pascal = (name: string) => name.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase());

/** Server events sent only as replies (they have no operation of their own). */
export const SERVER_EVENTS = Object.keys(serverEventSchemas) as ServerEvent[];

/**
 * The AsyncAPI 3.0 document of the WebSocket protocol. The application it describes is the
 * Parley server: it *receives* every client event (each with its success reply and `error`)
 * and *sends* every event it raises on its own. Every payload is a whole frame — `{ type, id?,
 * data }` in, `{ type, data, replyTo? }` out — converted from the zod schemas of
 * `@parley/core/protocol` and the services' input schemas.
 */
export function buildAsyncApi(): JsonSchema {
  const overlap = CLIENT_EVENTS.filter((event) => (SERVER_EVENTS as string[]).includes(event));
  if (overlap.length > 0) throw new Error(`Events named the same both ways: ${overlap.join(', ')}`);

  const components = new SchemaComponents('#/components/schemas/', 'draft-7');
  // Domain objects first, so frames refer to them by name.
  for (const [schema, name] of [
    [messageSchema, 'Message'],
    [attachmentSchema, 'Attachment'],
    [reactionSummarySchema, 'ReactionSummary'],
    [conversationSchema, 'Conversation'],
    [memberSchema, 'Member'],
    [syncEntrySchema, 'SyncEntry'],
    [attachmentInfoSchema, 'AttachmentInfo'],
    [uploadSlotSchema, 'UploadSlot'],
    [attachmentDownloadSchema, 'AttachmentDownload'],
    [errorPayloadSchema, 'ErrorPayload'],
  ] as const) {
    components.name(schema, name);
  }

  const messages: Record<string, unknown> = {};
  const channelMessages: Record<string, unknown> = {};
  const message = (name: string, title: string, summary: string, payload: { $ref: string }, description?: string) => {
    messages[name] = { name, title, summary, ...(description === undefined ? {} : { description }), contentType: 'application/json', payload };
    channelMessages[name] = { $ref: `#/components/messages/${name}` };
  };
  const channelRef = { $ref: '#/channels/chat' };
  const messageRef = (name: string) => ({ $ref: `#/channels/chat/messages/${name}` });

  for (const event of CLIENT_EVENTS) {
    const frame = z.object({ type: z.literal(event), id: clientFrameSchema.shape.id, data: clientDataSchema(event) });
    const doc = CLIENT_EVENT_DOCS[event];
    message(event, event, doc.summary, components.ref(frame, `${pascal(event)}Frame`), `Success reply: \`${REPLY_OF[event]}\`. Broadcast: ${doc.broadcast}`);
  }
  for (const event of SERVER_EVENTS) {
    // Replies (and `error`) carry `replyTo` when the frame they answer had an `id`; other events never do.
    const answers = event in replySchemas || event === 'error';
    const frame = zm.object({ type: zm.literal(event), data: serverEventSchemas[event], ...(answers ? { replyTo: serverFrameSchema.shape.replyTo } : {}) });
    message(event, event, SERVER_EVENT_DOCS[event], components.ref(frame, `${pascal(event)}Frame`));
  }

  const operations: Record<string, unknown> = {};
  for (const event of CLIENT_EVENTS as ClientEvent[]) {
    operations[event] = {
      action: 'receive',
      channel: channelRef,
      summary: CLIENT_EVENT_DOCS[event].summary,
      description: `Broadcast: ${CLIENT_EVENT_DOCS[event].broadcast}`,
      messages: [messageRef(event)],
      reply: { channel: channelRef, messages: [messageRef(REPLY_OF[event]), messageRef('error')] },
    };
  }
  for (const event of Object.keys(broadcastSchemas) as ServerEvent[]) {
    operations[`send_${event}`] = { action: 'send', channel: channelRef, summary: SERVER_EVENT_DOCS[event], messages: [messageRef(event)] };
  }

  const closeCodes = (Object.keys(CloseCode) as Array<keyof typeof CloseCode>).map((name) => ({ code: CloseCode[name], name, meaning: CLOSE_CODE_DOCS[name] }));
  const closeTable = ['| close code | name | when |', '| --- | --- | --- |', ...closeCodes.map((c) => `| ${c.code} | ${c.name} | ${c.meaning} |`)].join('\n');

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Parley WebSocket protocol',
      version: corePackage.version,
      license: { name: 'MIT' },
      description: [
        'The wire protocol of `@parley/transport-ws` (`attachWebSocket`) and the `RealtimeHub`; its readable form is `packages/core/PROTOCOL.md`. Generated from the zod schemas by `npm run docs`: do not edit by hand.',
        '',
        'One WebSocket per client, JSON text frames only. Client → server: `{ "type", "id"?, "data" }`; server → client: `{ "type", "data", "replyTo"? }`.',
        'Every client frame with an `id` gets exactly one reply carrying `replyTo`: its success event, or `error { code, message, details? }`. A malformed frame gets `error` (`VALIDATION_FAILED`) and the connection stays open.',
        'The frames of one connection are handled in arrival order and answered in that order. Message events reach every connected socket of every member, joined to the room or not.',
      ].join('\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      parley: {
        host: '{host}',
        protocol: 'wss',
        pathname: '/chat',
        description: 'The host’s own HTTP server: `attachWebSocket(hub, { server, path })`, path `/chat` by default (`ws` without TLS).',
        variables: { host: { default: 'localhost:3000', description: 'The host’s server.' } },
        security: [
          { $ref: '#/components/securitySchemes/bearerHeader' },
          { $ref: '#/components/securitySchemes/bearerSubprotocol' },
          { $ref: '#/components/securitySchemes/tokenQuery' },
        ],
      },
    },
    channels: {
      chat: {
        address: '/chat',
        title: 'The Parley socket',
        description: [
          'The token is read, in this order, from `Authorization: Bearer <token>`, a `Sec-WebSocket-Protocol` value `bearer.<token>` (browsers offer `["parley", "bearer.<token>"]` and the server answers `parley`, never the token), or the `token` query parameter.',
          'The `Origin` header is checked before the upgrade completes (`allowedOrigins`, the server’s own host by default; HTTP 403 when refused; a request without `Origin` is accepted). Too many sockets from one address: HTTP 429.',
          'Accepted: `connected`. Refused: `connection_error`, then close 4401 (bad token: `UNAUTHENTICATED`; user not active: `FORBIDDEN`) or 4429 (too many sockets for the user: `RATE_LIMITED`).',
          '',
          closeTable,
        ].join('\n'),
        messages: channelMessages,
        bindings: {
          ws: {
            method: 'GET',
            query: { type: 'object', properties: { token: { type: 'string', description: 'The token, for clients that can set neither a header nor a subprotocol.' } } },
            headers: {
              type: 'object',
              properties: {
                Authorization: { type: 'string', description: '`Bearer <token>` (Node clients).' },
                'Sec-WebSocket-Protocol': { type: 'string', description: '`parley, bearer.<token>` (browsers).' },
                Origin: { type: 'string', description: 'Checked against `allowedOrigins`.' },
              },
            },
            bindingVersion: '0.1.0',
          },
        },
        'x-close-codes': closeCodes,
      },
    },
    operations,
    components: {
      schemas: components.build(),
      messages,
      securitySchemes: {
        bearerHeader: { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer <token>` on the upgrade request.' },
        bearerSubprotocol: { type: 'httpApiKey', in: 'header', name: 'Sec-WebSocket-Protocol', description: 'The subprotocol `bearer.<token>`, offered beside `parley`.' },
        tokenQuery: { type: 'httpApiKey', in: 'query', name: 'token', description: '`?token=<token>` on the socket URL.' },
      },
    },
  };
}
