import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { PresenceKind, StoreKind } from './ipc.js';
import { probe } from '../../test-support/tcp-probe.js';

/**
 * The services a Postgres or Redis run uses, as the adapters' tests find them: DATABASE_URL
 * and REDIS_URL, or this machine's defaults. Every run gets a schema or key prefix of its
 * own, removed by the runner when the run's server has stopped (even when it crashed).
 */

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Names carry the runner's pid, so what one bench process created can be found (and checked gone). */
export const SCHEMA_PREFIX = `parley_bench_${process.pid}_`;
export const KEY_PREFIX = `parley-bench:${process.pid}:`;
const suffix = () => `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

/** A schema name no other run uses (a plain identifier, as the Postgres adapter requires). */
export const freshSchema = (): string => `${SCHEMA_PREFIX}${suffix()}`;

/** A Redis key prefix no other run uses. */
export const freshPrefix = (): string => `${KEY_PREFIX}${suffix()}:`;

/** Drops a run's schema with everything in it. */
export async function dropSchema(schema: string, url = DATABASE_URL): Promise<void> {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Deletes every key under `prefix` (SCAN, then DEL); returns how many there were. */
export async function deleteKeys(prefix: string, url = REDIS_URL): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}

/** Why the services a run needs cannot be used (one line each), or an empty list. */
export async function servicesUnavailable(store: StoreKind, presence: PresenceKind): Promise<string[]> {
  const problems: string[] = [];
  if (store === 'postgres' && (await probe(DATABASE_URL, 5432)) === null) problems.push(`PostgreSQL is not reachable at ${DATABASE_URL} (set DATABASE_URL)`);
  if (presence === 'redis' && (await probe(REDIS_URL, 6379, 'PING\r\n'))?.startsWith('+PONG') !== true) problems.push(`Redis is not answering PING at ${REDIS_URL} (set REDIS_URL)`);
  return problems;
}
