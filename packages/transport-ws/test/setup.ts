import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChatServices, createMemoryStore, RealtimeHub, type ChatServices, type RealtimeHubOptions } from '@parley/core';
import { attachWebSocket, type AttachWebSocketOptions, type WebSocketAttachment } from '../src/index.js';
import { TestClient } from './ws-client.js';

/** Users by token: `tok-<id>` is user <id>; `tok-banned` is not active. */
export const tokenAuth: AttachWebSocketOptions['authenticate'] = (token) => {
  if (token === null || !token.startsWith('tok-')) return null;
  const id = token.slice(4);
  return { id, name: id.toUpperCase(), status: id === 'banned' ? 'banned' : 'active' };
};

export interface Node {
  chat: ChatServices;
  hub: RealtimeHub;
  server: Server;
  ws: WebSocketAttachment;
  url: string;
  connect(userId: string): Promise<TestClient>;
  close(): Promise<void>;
}

/** A real HTTP server on port 0 with the hub mounted at /chat. */
export async function startNode(
  options: { chat?: ChatServices; hub?: Partial<RealtimeHubOptions>; ws?: Partial<AttachWebSocketOptions> } = {},
): Promise<Node> {
  const chat = options.chat ?? createChatServices({ store: createMemoryStore(), limits: { messageRate: { limit: 1000, windowMs: 1000 } } });
  const hub = new RealtimeHub({ services: chat, ...options.hub });
  const server = createServer((_req, res) => res.end('ok'));
  const ws = attachWebSocket(hub, { server, authenticate: tokenAuth, ...options.ws });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/chat`;
  const clients: TestClient[] = [];
  return {
    chat,
    hub,
    server,
    ws,
    url,
    async connect(userId) {
      const client = await TestClient.connect(`${url}?token=tok-${userId}`);
      await client.next('connected');
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await ws.close();
      await hub.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
