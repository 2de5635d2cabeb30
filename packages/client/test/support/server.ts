import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createChatServices, createMemoryStore, RealtimeHub, type Authenticate, type ChatServices, type RealtimeHubOptions } from '@parley/core';
import { createHttpHandler } from '@parley/transport-http';
import { attachWebSocket, type AttachWebSocketOptions, type WebSocketAttachment } from '@parley/transport-ws';
import { WebSocket } from 'ws';
import { createParleyClient, type Logger, type ParleyClient, type ParleyClientOptions } from '../../src/index.js';

/** Tokens are user ids, except `banned` (a user who is not active). */
export const plainAuth: Authenticate = (token) => (token === null || token === '' ? null : { id: token, name: token.toUpperCase(), status: token === 'banned' ? 'banned' : 'active' });

export interface TestServer {
  chat: ChatServices;
  hub: RealtimeHub;
  server: Server;
  ws: WebSocketAttachment;
  url: string;
  restUrl: string;
  /** Cuts the TCP connections of a user's sockets (all users' without one) from the server side, abruptly. */
  killSockets(userId?: string): number;
  close(): Promise<void>;
}

/** A real HTTP server on port 0: the hub at /chat and the REST API at /api. */
export async function startServer(
  options: { chat?: ChatServices; hub?: Partial<RealtimeHubOptions>; ws?: Partial<AttachWebSocketOptions>; authenticate?: Authenticate } = {},
): Promise<TestServer> {
  const chat = options.chat ?? createChatServices({ store: createMemoryStore(), limits: { messageRate: { limit: 100_000, windowMs: 1_000 } } });
  const hub = new RealtimeHub({ services: chat, rateLimits: { frames: 100_000, userFrames: 100_000 }, ...options.hub });
  const authenticate = options.authenticate ?? plainAuth;
  const rest = createHttpHandler(chat, { authenticate, basePath: '/api', hub, writeRateLimit: false, metrics: false });
  const server = createServer((req, res) => (req.url?.startsWith('/api/') ? rest(req, res) : res.end('ok')));
  const ws = attachWebSocket(hub, { server, authenticate, ...options.ws });
  // Which user each upgraded TCP connection belongs to, so a test can cut one user's sockets.
  const sockets = new Map<Socket, string>();
  server.on('upgrade', (req, socket: Socket) => {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const token = offered.find((p) => p.startsWith('bearer.'))?.slice(7) ?? '';
    sockets.set(socket, token);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    chat,
    hub,
    server,
    ws,
    url: `ws://127.0.0.1:${port}/chat`,
    restUrl: `http://127.0.0.1:${port}/api`,
    killSockets(userId) {
      let n = 0;
      for (const [socket, token] of sockets) {
        if (userId !== undefined && token !== userId) continue;
        socket.destroy();
        n += 1;
      }
      return n;
    },
    async close() {
      await ws.close(500);
      await hub.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

/** A logger that keeps what it is told; tests check no frame failed the wire schemas. */
export function recordingLogger(): Logger & { lines: Array<{ level: string; message: string; meta?: Record<string, unknown> }> } {
  const lines: Array<{ level: string; message: string; meta?: Record<string, unknown> }> = [];
  const at = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push(meta === undefined ? { level, message } : { level, message, meta });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A client for `userId` on a test server, with quick reconnects. */
export function connectClient(server: TestServer, userId: string, options: Partial<ParleyClientOptions> = {}): ParleyClient {
  return createParleyClient({
    url: server.url,
    restUrl: server.restUrl,
    getToken: () => userId,
    WebSocket,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    network: null,
    ...options,
  });
}
