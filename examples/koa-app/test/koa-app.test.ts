import { it } from 'vitest';
import { driveHost, dropStack } from '../../support/host-scenario.js';
import { DATABASE_URL, describeWithService, postgresUnavailable, REDIS_URL, redisUnavailable } from '../../../test-support/services.js';
import { startKoaApp } from '../src/app.js';

it('the Koa example serves Parley under /api and /chat with JWT auth', async () => {
  const secret = 'koa-example-secret-long-enough';
  const app = await startKoaApp({ secret, port: 0 });
  try {
    await driveHost(app.url, secret, /A Koa app/);
  } finally {
    await app.close();
  }
});

const stackDown = (await postgresUnavailable()) ?? (await redisUnavailable());
describeWithService('the same example on Postgres and Redis', stackDown, () => {
  it('serves the same scenario with DATABASE_URL and REDIS_URL given', async () => {
    const schema = `example_${Date.now().toString(36)}`;
    const secret = 'example-secret-on-postgres-and-redis';
    const app = await startKoaApp({ secret, port: 0, databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, schema });
    try {
      await driveHost(app.url, secret, /A Koa app/);
    } finally {
      await app.close();
      await dropStack(schema);
    }
  });
});
