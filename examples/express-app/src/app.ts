import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createSqliteStore } from '@parley/adapter-sqlite';
import { createChatServices, RealtimeHub } from '@parley/core';
import { createHttpHandler } from '@parley/transport-http';
import { attachWebSocket, jwtAuthenticator } from '@parley/transport-ws';
import express from 'express';

/** Parley inside an Express app: the REST API under /api, the WebSocket endpoint at /chat. */
export async function startExpressApp(options: { secret: string; port?: number; filename?: string }) {
  const chat = createChatServices({ store: createSqliteStore({ filename: options.filename ?? ':memory:' }) });
  const hub = new RealtimeHub({ services: chat });
  const authenticate = jwtAuthenticator({ secret: options.secret, algorithms: ['HS256'] });

  const app = express();
  app.get('/', (_req, res) => {
    res.send('An Express app with Parley at /api and /chat');
  });
  app.use('/api', createHttpHandler(chat, { authenticate, hub })); // Express strips the /api prefix

  const server = createServer(app); // the WebSocket needs the server, not the app
  const ws = attachWebSocket(hub, { server, path: '/chat', authenticate });
  await new Promise<void>((resolve) => server.listen(options.port ?? 3000, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async close() {
      await ws.close();
      await hub.close();
      await chat.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = await startExpressApp({ secret: process.env.PARLEY_JWT_SECRET ?? 'change-me-to-a-long-secret', port: Number(process.env.PORT ?? 3000) });
  process.stdout.write(`Express app with Parley on ${app.url}\n`);
}
