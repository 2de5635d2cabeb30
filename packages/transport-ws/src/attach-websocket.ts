import type { IncomingMessage, Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { admitUser, ChatError, CloseCode, silentLogger, type Authenticate, type ChatUser, type ConnectionHandle, type Logger, type RealtimeHub } from '@parley/core';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { originAllowed, type AllowedOrigins } from './origin.js';
import { outboundSocket } from './outbound.js';
import { TurnCork } from './turn-cork.js';
import { extractToken, selectProtocol } from './token.js';

export interface AttachWebSocketOptions {
  /** The host's `node:http` (or https) server — not an Express or Koa app. */
  server: Server;
  /** Default `/chat`. */
  path?: string;
  authenticate: Authenticate;
  /**
   * Which pages may connect: `same-origin` (default: the `Origin` must be the server's own
   * host), a list of origins (`https://app.example.com`), or `*` (any — never with cookie auth).
   */
  allowedOrigins?: AllowedOrigins;
  /** Largest frame accepted; a larger one closes the connection (1009). Default 1 MiB. */
  maxPayload?: number;
  /** Keep-alive: a peer that misses a ping for this long is terminated. Default 30 s. */
  pingIntervalMs?: number;
  /** Unsent output a socket may hold before frames are held back from it. Default 4 MiB. */
  maxBufferedBytes?: number;
  /** How long a socket may stay past `maxBufferedBytes` before it is closed with 4408. Default 10 s. */
  slowConsumerGraceMs?: number;
  /** Sockets one user may hold, on all nodes together. Default 20. */
  maxConnectionsPerUser?: number;
  /** Sockets one client address may hold on this node. Default 200. */
  maxConnectionsPerAddress?: number;
  /** The client address of an upgrade request (behind a proxy, read it from its header). Default: the peer's address. */
  addressOf?: (request: IncomingMessage) => string;
  logger?: Logger;
}

export interface WebSocketAttachment {
  /**
   * Shuts down gracefully: no new connections, no new frames; every frame already taken is
   * answered (so what was stored was acknowledged); then every socket is closed with 1001.
   * Sockets still open after `timeoutMs` are cut off.
   */
  close(timeoutMs?: number): Promise<void>;
  readonly clients: number;
}

const optionsSchema = z.object({
  path: z.string().startsWith('/', 'must start with /').default('/chat'),
  authenticate: z.custom<Authenticate>((v) => typeof v === 'function', 'must be a function (token, request) => user | null'),
  allowedOrigins: z.union([z.literal('*'), z.literal('same-origin'), z.array(z.string().min(1))]).default('same-origin'),
  maxPayload: z.number().int().positive().default(1024 * 1024),
  pingIntervalMs: z.number().int().positive().default(30_000),
  maxBufferedBytes: z.number().int().positive().default(4 * 1024 * 1024),
  slowConsumerGraceMs: z.number().int().positive().default(10_000),
  maxConnectionsPerUser: z.number().int().positive().default(20),
  maxConnectionsPerAddress: z.number().int().positive().default(200),
});

/** Explains the most common mistake: handing over the app instead of the server. */
function checkServer(server: unknown): asserts server is Server {
  if (server instanceof NetServer) return;
  const looksLike =
    typeof server === 'function' && 'use' in server && 'handle' in server
      ? 'an Express app'
      : typeof server === 'object' && server !== null && 'callback' in server && 'use' in server
        ? 'a Koa app'
        : `${typeof server === 'object' ? 'an object' : typeof server} that is not an HTTP server`;
  throw new TypeError(
    `attachWebSocket needs the node:http server, but was given ${looksLike}. ` +
      'Create the server yourself and pass it: `const server = http.createServer(app)` for Express, ' +
      '`http.createServer(app.callback())` for Koa (or `const server = app.listen(port)`), then ' +
      '`attachWebSocket(hub, { server, authenticate })`.',
  );
}

const RESYNC_SLOW = JSON.stringify({ type: 'resync', data: { reason: 'slow_consumer' } });

/**
 * Mounts the hub on `server` at `path` with `ws`. The Origin is checked before the upgrade
 * completes; the token is then verified, and a refused client gets `connection_error` and
 * close code 4401. Keep-alive pings end dead peers; slow readers are held back and closed
 * (4408); `close()` drains with 1001.
 */
export function attachWebSocket(hub: RealtimeHub, options: AttachWebSocketOptions): WebSocketAttachment {
  checkServer(options.server);
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new ChatError(
      'VALIDATION_FAILED',
      `Invalid attachWebSocket options — ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const config = parsed.data;
  const logger = options.logger ?? silentLogger;
  const addressOf = options.addressOf ?? ((request: IncomingMessage) => request.socket.remoteAddress ?? 'unknown');
  const server = options.server;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxPayload,
    handleProtocols: (protocols) => selectProtocol(protocols),
    perMessageDeflate: false,
  });
  const alive = new WeakMap<WebSocket, boolean>();
  const handles = new Map<WebSocket, ConnectionHandle>();
  const perAddress = new Map<string, number>();
  const cork = new TurnCork();
  let closing = false;

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== config.path) {
      // Another upgrade handler may own this path; when there is none, answer instead of hanging.
      if (server.listenerCount('upgrade') === 1) rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (closing) return rejectUpgrade(socket, 503, 'Service Unavailable');
    if (!originAllowed(config.allowedOrigins, request)) return rejectUpgrade(socket, 403, 'Forbidden');
    const address = addressOf(request);
    if ((perAddress.get(address) ?? 0) >= config.maxConnectionsPerAddress) return rejectUpgrade(socket, 429, 'Too Many Requests');
    void authenticate(extractToken(request), request).then((result) => {
      wss.handleUpgrade(request, socket, head, (ws) => void accept(ws, result, request, address, socket));
    });
  };

  const authenticate = async (token: string | null, request: IncomingMessage): Promise<ChatUser | ChatError> => {
    try {
      return admitUser(await options.authenticate(token, request));
    } catch (error) {
      if (error instanceof ChatError) return error.code === 'FORBIDDEN' ? error : new ChatError('UNAUTHENTICATED', error.message);
      logger.warn('authenticate threw', { error: String(error) });
      return new ChatError('UNAUTHENTICATED', 'Authentication failed');
    }
  };

  const refuse = (ws: WebSocket, error: ChatError, closeCode: number) => {
    ws.send(JSON.stringify({ type: 'connection_error', data: { code: error.code, message: error.message } }));
    ws.close(closeCode, error.code.toLowerCase());
  };

  const accept = async (ws: WebSocket, result: ChatUser | ChatError, request: IncomingMessage, address: string, stream: Duplex) => {
    if (result instanceof ChatError) return refuse(ws, result, CloseCode.Unauthorized);
    if ((await hub.countUserSockets(result.id)) >= config.maxConnectionsPerUser) {
      return refuse(ws, new ChatError('RATE_LIMITED', `At most ${config.maxConnectionsPerUser} connections per user`), CloseCode.TooManyRequests);
    }
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    // Frames may arrive while the hub registers the socket: hold them until it is ready.
    const early: string[] = [];
    let handle: ConnectionHandle | null = null;
    let gone = false;
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        ws.send(JSON.stringify({ type: 'error', data: { code: 'VALIDATION_FAILED', message: 'Frames must be JSON text', details: { field: 'frame' } } }));
        return;
      }
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      if (handle === null) early.push(text);
      else void handle.handleFrame(text);
    });
    ws.on('error', (error) => logger.debug('websocket error', { error: String(error) }));
    const socket = outboundSocket(ws, {
      maxBufferedBytes: config.maxBufferedBytes,
      graceMs: config.slowConsumerGraceMs,
      onRecovered: (send) => send(RESYNC_SLOW),
      stream,
      cork,
    });
    ws.on('close', () => {
      gone = true;
      socket.dispose();
      handles.delete(ws);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
      void handle?.handleClose();
    });
    try {
      handle = await hub.handleConnection(socket, result, {
        reauthenticate: async (token) => {
          const fresh = await authenticate(token, request);
          if (fresh instanceof ChatError) throw fresh;
          return fresh;
        },
      });
    } catch (error) {
      logger.error('hub refused a connection', { error: String(error) });
      ws.close(CloseCode.InternalError, 'internal error');
      return;
    }
    if (gone) {
      void handle.handleClose();
      return;
    }
    handles.set(ws, handle);
    for (const text of early.splice(0)) void handle.handleFrame(text);
  };

  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, config.pingIntervalMs);
  pinger.unref();

  server.on('upgrade', onUpgrade);

  return {
    get clients() {
      return wss.clients.size;
    },
    async close(timeoutMs = 10_000) {
      if (closing) return;
      closing = true;
      clearInterval(pinger);
      const open = [...wss.clients];
      const closed = open.map((ws) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve()))));
      const timer = setTimeout(() => {
        for (const ws of open) ws.terminate();
      }, timeoutMs);
      // Answer what was taken before closing: a frame stored is a frame acknowledged.
      await Promise.all(
        open.map(async (ws) => {
          await handles.get(ws)?.drain();
          ws.close(CloseCode.GoingAway, 'server shutting down');
        }),
      );
      await Promise.all(closed);
      clearTimeout(timer);
      server.off('upgrade', onUpgrade);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}
