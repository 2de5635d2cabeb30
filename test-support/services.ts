import { describe, it } from 'vitest';
import { probe } from './tcp-probe.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why Postgres cannot be used, or null when it answers on DATABASE_URL's port. */
export async function postgresUnavailable(): Promise<string | null> {
  return (await probe(DATABASE_URL, 5432)) === null ? `PostgreSQL is not reachable at ${DATABASE_URL}` : null;
}

/** Why Redis cannot be used, or null when it answers PING on REDIS_URL. */
export async function redisUnavailable(): Promise<string | null> {
  const reply = await probe(REDIS_URL, 6379, 'PING\r\n');
  return reply?.startsWith('+PONG') === true ? null : `Redis is not answering PING at ${REDIS_URL}`;
}

/**
 * `describe` for a suite that needs a real service. When the service is down the suite is
 * skipped and says why — unless PARLEY_REQUIRE_SERVICES=1 (as `.ci/run` sets), where it fails.
 *
 *   const redisDown = await redisUnavailable();
 *   describeWithService('Redis presence', redisDown, () => { … });
 */
export function describeWithService(name: string, unavailable: string | null, fn: () => void): void {
  if (unavailable === null) {
    describe(name, fn);
    return;
  }
  if (process.env.PARLEY_REQUIRE_SERVICES === '1') {
    describe(name, () => {
      it(`needs its service: ${unavailable}`, () => {
        throw new Error(`${unavailable} (PARLEY_REQUIRE_SERVICES=1: a suite whose service is down fails)`);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": ${unavailable}`);
  describe.skip(`${name} — skipped: ${unavailable}`, fn);
}
