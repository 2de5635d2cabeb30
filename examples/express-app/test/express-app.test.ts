import { expect, it } from 'vitest';
import { driveHost, dropStack } from '../../support/host-scenario.js';
import { DATABASE_URL, describeWithService, postgresUnavailable, REDIS_URL, redisUnavailable } from '../../../test-support/services.js';
import { startExpressApp } from '../src/app.js';

it('the Express example serves Parley under /api and /chat with JWT auth', async () => {
  const secret = 'express-example-secret-long-enough';
  const app = await startExpressApp({ secret, port: 0 });
  try {
    await driveHost(app.url, secret, /An Express app/);
  } finally {
    await app.close();
  }
});

it('works behind express.json(): a body Express already read is taken from req.body', async () => {
  const { createServer } = await import('node:http');
  const express = (await import('express')).default;
  const { createChatServices, createMemoryStore } = await import('@parley/core');
  const { createHttpHandler } = await import('@parley/transport-http');
  const chat = createChatServices({ store: createMemoryStore() });
  const app = express();
  app.use(express.json());
  app.use('/api', createHttpHandler(chat, { authenticate: (token) => (token === null ? null : { id: token, name: token, status: 'active' }) }));
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/api`;
  try {
    const created = await fetch(`${url}/conversations/group`, {
      method: 'POST',
      headers: { authorization: 'Bearer ann', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Behind express.json', memberIds: ['ben'] }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const sent = await fetch(`${url}/conversations/messages`, {
      method: 'POST',
      headers: { authorization: 'Bearer ben', 'content-type': 'application/json' },
      body: JSON.stringify({ conversationId: id, content: 'hello' }),
    });
    expect(sent.status).toBe(201);
    const bad = await fetch(`${url}/conversations/messages`, { method: 'POST', headers: { authorization: 'Bearer ben', 'content-type': 'application/json' }, body: '{}' });
    expect(((await bad.json()) as { error: { details: { field: string } } }).error.details.field).toBe('conversationId');
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

const stackDown = (await postgresUnavailable()) ?? (await redisUnavailable());
describeWithService('the same example on Postgres and Redis', stackDown, () => {
  it('serves the same scenario with DATABASE_URL and REDIS_URL given', async () => {
    const schema = `example_${Date.now().toString(36)}`;
    const secret = 'example-secret-on-postgres-and-redis';
    const app = await startExpressApp({ secret, port: 0, databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, schema });
    try {
      await driveHost(app.url, secret, /An Express app/);
    } finally {
      await app.close();
      await dropStack(schema);
    }
  });
});
