import { it } from 'vitest';
import { driveHost } from '../../support/host-scenario.js';
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
