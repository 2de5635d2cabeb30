import { it } from 'vitest';
import { driveHost } from '../../support/host-scenario.js';
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
