import { startDemo } from './server.js';
import { WeakSecretError } from './demo-secrets.js';

/**
 * `npm start`: the demo server from the environment (PORT, HOST, PARLEY_JWT_SECRET,
 * DATABASE_URL, REDIS_URL). Prints the URL and little else; a mistake a newcomer can make
 * (a busy port, a bad PORT, a short secret) gets one line saying what to do, not a stack trace.
 */
const { DATABASE_URL, REDIS_URL, HOST, PORT } = process.env;

function fail(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

function parsePort(text: string | undefined): number {
  if (text === undefined || text === '') return 3000;
  const port = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isInteger(port) || port > 65_535) fail(`PORT must be a whole number from 0 to 65535 (got "${text}"); try: PORT=3001 npm start`);
  return port;
}

const port = parsePort(PORT);
let demo: Awaited<ReturnType<typeof startDemo>>;
try {
  demo = await startDemo({
    port,
    ...(HOST ? { host: HOST } : {}),
    ...(DATABASE_URL ? { databaseUrl: DATABASE_URL } : {}),
    ...(REDIS_URL ? { redisUrl: REDIS_URL } : {}),
  });
} catch (error) {
  const code = (error as { code?: unknown }).code;
  if (error instanceof WeakSecretError) fail(error.message);
  if (code === 'EADDRINUSE') fail(`Port ${port} is already in use: stop what runs there, or pick another one: PORT=${port + 1} npm start`);
  if (code === 'EACCES') fail(`Port ${port} needs more privileges than this user has: pick one above 1023, e.g. PORT=3000 npm start`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') fail(`HOST=${HOST ?? ''} is not an address of this machine; leave HOST unset for 127.0.0.1`);
  throw error;
}

const where = `${DATABASE_URL ? 'chat in Postgres' : 'data in ./data'}${REDIS_URL ? ', presence in Redis' : ''}`;
process.stdout.write(`Parley demo: ${demo.url}  (${where}; Ctrl+C to stop)\n`);
const stop = () => {
  void demo.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
