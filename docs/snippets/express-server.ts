import { createServer } from 'node:http';
import express from 'express';
import { createChatServices, RealtimeHub } from '@parley/core';
import { createSqliteStore } from '@parley/adapter-sqlite';
import { createHttpHandler } from '@parley/transport-http';
import { attachWebSocket, jwtAuthenticator } from '@parley/transport-ws';

const chat = createChatServices({ store: createSqliteStore({ filename: './chat.db' }) });
const hub = new RealtimeHub({ services: chat });
const authenticate = jwtAuthenticator({ secret: process.env.JWT_SECRET!, algorithms: ['HS256'] });

const app = express();
app.use('/api', createHttpHandler(chat, { authenticate, hub })); // the REST API under /api
const server = createServer(app); // the WebSocket needs the server, not the app
attachWebSocket(hub, { server, path: '/chat', authenticate });
const port = Number(process.env.PORT ?? 3000);
server.listen(port, () => console.log(`Chat on http://localhost:${port}`));
