import { createServer } from 'node:http';
import { createChatServices, RealtimeHub } from '@parley/core';
import { createSqliteStore } from '@parley/adapter-sqlite';
import { createHttpHandler } from '@parley/transport-http';
import { attachWebSocket, jwtAuthenticator } from '@parley/transport-ws';

const chat = createChatServices({ store: createSqliteStore({ filename: './chat.db' }) });
const hub = new RealtimeHub({ services: chat });
const authenticate = jwtAuthenticator({ secret: process.env.JWT_SECRET!, algorithms: ['HS256'] });

const api = createHttpHandler(chat, { authenticate, hub, basePath: '/api' }); // it sees full paths
const server = createServer((req, res) =>
  api(req, res, () => res.writeHead(404).end()), // next(): whatever is not under /api
);
attachWebSocket(hub, { server, path: '/chat', authenticate });
const port = Number(process.env.PORT ?? 3000);
server.listen(port, () => console.log(`Chat on http://localhost:${port}`));
