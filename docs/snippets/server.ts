import { createServer } from 'node:http';
import { createSqliteStore } from '@parley/adapter-sqlite';
import { createLocalAttachmentStore } from '@parley/attachments-local';
import { createChatServices, RealtimeHub } from '@parley/core';
import { createHttpHandler } from '@parley/transport-http';
import { attachWebSocket, jwtAuthenticator } from '@parley/transport-ws';

// #region uploads
const chat = createChatServices({
  store: createSqliteStore({ filename: './chat.db' }),
  attachments: {
    // Files on this machine's disk, uploaded and downloaded through the REST handler with signed links.
    storage: createLocalAttachmentStore({ directory: './files', publicUrl: '/api/files', secret: process.env.FILES_SECRET! }),
  },
});
// #endregion
const hub = new RealtimeHub({ services: chat });
const authenticate = jwtAuthenticator({ secret: process.env.JWT_SECRET!, algorithms: ['HS256'] });
const api = createHttpHandler(chat, { authenticate, hub, basePath: '/api' });
const server = createServer((req, res) => api(req, res, () => res.writeHead(404).end()));
// #region proxy
const ws = attachWebSocket(hub, {
  server,
  path: '/chat',
  authenticate,
  allowedOrigins: (process.env.ALLOWED_ORIGINS ?? 'https://chat.example.com').split(','), // the pages that may connect
  // Behind a proxy every socket comes from the proxy's address: count them by the client's.
  // Only when the proxy sets this header itself, or anyone could pick their own address.
  addressOf: (request) => String(request.headers['x-real-ip'] ?? request.socket.remoteAddress),
});
// #endregion
await chat.ready(); // runs the migrations now: a bad database fails here, not on the first request
const port = Number(process.env.PORT ?? 3000);
server.listen(port, () => console.log(`Chat on http://localhost:${port}`));

// #region shutdown
process.once('SIGTERM', async () => {
  await ws.close(); // no new sockets or frames; every frame taken is answered; sockets close with 1001
  await new Promise((done) => server.close(done)); // no new requests; those in flight finish
  await hub.close(); // leaves presence and the broker
  await chat.close(); // stores what is queued, stops background jobs, closes the database
});
// #endregion
