import type { IncomingMessage, Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { ChatError, CloseCode, silentLogger, type ChatUser, type ConnectionHandle, type Logger, type RealtimeHub } from '@parley/core';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import type { Authenticate } from '@parley/core';
import { extractToken, selectProtocol } from './token.js';

export interface AttachWebSocketOptions {
  /** The host's `node:http` (or https) server — not an Express or Koa app. */
  server: Server;
  /** Default `/chat`. */
  path?: string;
  authenticate: Authenticate;
  /** Origins allowed to connect (`https://app.example.com`); `*` allows any. Default: any. */
  allowedOrigins?: string[] | '*';
  /** Largest frame accepted; a larger one closes the connection (1009). Default 1 MiB. */
  maxPayload?: number;
  /** Keep-alive: a peer that misses a ping for this long is terminated. Default 30 s. */
  pingIntervalMs?: number;
  /** A socket whose unsent output exceeds this is closed as a slow consumer. Default 16 MiB. */
  maxBufferedBytes?: number;
  logger?: Logger;
}

export interface WebSocketAttachment {
  /** Stops accepting, closes every connection with 1001 and waits for them (at most `timeoutMs`). */
  close(timeoutMs?: number): Promise<void>;
  readonly clients: number;
}

const optionsSchema = z.object({
  path: z.string().startsWith('/', 'must start with /').default('/chat'),
  authenticate: z.custom<Authenticate>((v) => typeof v === 'function', 'must be a function (token, request) => user | null'),
  allowedOrigins: z.union([z.literal('*'), z.array(z.string().min(1))]).default('*'),
  maxPayload: z.number().int().positive().default(1024 * 1024),
  pingIntervalMs: z.number().int().positive().default(30_000),
  maxBufferedBytes: z.number().int().positive().default(16 * 1024 * 1024),
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

/**
 * Mounts the hub on `server` at `path` with `ws`. The Origin is checked before the upgrade
 * completes; the token is then verified, and a refused client gets `connection_error` and
 * close code 4401. Keep-alive pings end dead peers; `close()` drains with 1001.
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
  const server = options.server;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxPayload,
    handleProtocols: (protocols) => selectProtocol(protocols),
    perMessageDeflate: false,
  });
  const alive = new WeakMap<WebSocket, boolean>();
  let closing = false;

  const originAllowed = (origin: string | undefined) =>
    config.allowedOrigins === '*' || (origin !== undefined && config.allowedOrigins.includes(origin));

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== config.path) {
      // Another upgrade handler may own this path; when there is none, answer instead of hanging.
      if (server.listenerCount('upgrade') === 1) rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (closing) return rejectUpgrade(socket, 503, 'Service Unavailable');
    if (!originAllowed(request.headers.origin)) return rejectUpgrade(socket, 403, 'Forbidden');
    void authenticate(request).then((result) => {
      wss.handleUpgrade(request, socket, head, (ws) => void accept(ws, result));
    });
  };

  const authenticate = async (request: IncomingMessage): Promise<ChatUser | ChatError> => {
    try {
      const user = await options.authenticate(extractToken(request), request);
      if (user === null || user === undefined) return new ChatError('UNAUTHENTICATED', 'Authentication failed');
      if (user.status !== 'active') return new ChatError('FORBIDDEN', `User ${user.id} is not active`);
      return user;
    } catch (error) {
      if (error instanceof ChatError) return error;
      logger.warn('authenticate threw', { error: String(error) });
      return new ChatError('UNAUTHENTICATED', 'Authentication failed');
    }
  };

  const accept = async (ws: WebSocket, result: ChatUser | ChatError) => {
    if (result instanceof ChatError) {
      ws.send(JSON.stringify({ type: 'connection_error', data: { code: result.code, message: result.message } }));
      ws.close(CloseCode.Unauthorized, result.code === 'FORBIDDEN' ? 'forbidden' : 'unauthorized');
      return;
    }
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
    ws.on('close', () => {
      gone = true;
      void handle?.handleClose();
    });
    const socket = {
      send: (frame: string) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (ws.bufferedAmount > config.maxBufferedBytes) {
          ws.close(CloseCode.TooManyRequests, 'slow consumer');
          return;
        }
        ws.send(frame);
      },
      close: (code?: number, reason?: string) => ws.close(code, reason),
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
    };
    try {
      handle = await hub.handleConnection(socket, result);
    } catch (error) {
      logger.error('hub refused a connection', { error: String(error) });
      ws.close(CloseCode.InternalError, 'internal error');
      return;
    }
    if (gone) {
      void handle.handleClose();
      return;
    }
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
    async close(timeoutMs = 5_000) {
      if (closing) return;
      closing = true;
      clearInterval(pinger);
      const open = [...wss.clients];
      const closed = open.map((ws) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve()))));
      for (const ws of open) ws.close(CloseCode.GoingAway, 'server shutting down');
      const timer = setTimeout(() => {
        for (const ws of open) ws.terminate();
      }, timeoutMs);
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
