import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { DATABASE_URL, describeWithService, postgresUnavailable, REDIS_URL, redisUnavailable } from '../../test-support/services.js';
import { benchDir, buildBundles } from '../src/build.js';
import type { Durability } from '../src/ipc.js';
import { ratios, summarize, targets } from '../src/report.js';
import { runBench, type LoadMetrics } from '../src/runner.js';
import { tinyRun } from './tiny-run.js';
import { KEY_PREFIX, SCHEMA_PREFIX } from '../src/services.js';

/**
 * The bench on the real services: Parley's Postgres store and Redis presence, and both
 * baselines on Postgres, lose, repeat and reorder nothing, and every run's schema and keys
 * are gone afterwards. Only correctness and clean-up are asserted — never a time or a rate.
 */
const unavailable = [await postgresUnavailable(), await redisUnavailable()].filter((u) => u !== null).join('; ') || null;

describeWithService('bench harness on Postgres and Redis', unavailable, () => {
  const bundleDir = join(benchDir, '..', 'node_modules', '.cache', `parley-bench-services-${process.pid}`);
  afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

  it('delivers every message once and in order on all three servers, at synchronous_commit = on, and leaves no schema or key behind', async () => {
    const bundles = await buildBundles(bundleDir);
    const durabilities: Durability[] = ['pg'];
    const runs = await runBench(
      tinyRun({ servers: ['parley', 'socketio', 'raw'], scenarios: ['direct', 'group20'], durabilities, store: 'postgres', presence: 'redis' }),
      bundles,
    );
    expect(runs.map((r) => `${r.scenario} ${r.durability} ${r.server}`).sort()).toEqual(
      ['direct', 'group20'].flatMap((s) => ['parley', 'raw', 'socketio'].map((server) => `${s} pg ${server}`)),
    );
    for (const run of runs) {
      const name = `${run.scenario} ${run.server}`;
      expect(run.error, `${name}: ${run.error}`).toBeUndefined();
      const { correctness } = run.load as LoadMetrics;
      expect(correctness.sent, name).toBeGreaterThan(0);
      expect(correctness, name).toMatchObject({ acked: correctness.sent, errors: 0, delivered: correctness.expected, duplicates: 0, outOfOrder: 0, ok: true });
    }
    // The Postgres target is reported (pass or miss), the SQLite ones are not.
    const summary = summarize(runs);
    const rows = targets(summary, ratios(runs), { idleConnections: 10, stormClients: 10 });
    expect(rows.map((t) => t.target)).toEqual(['1-to-1 msgs/s ≥ 0.8× raw (Postgres)']);

    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const { rows: left } = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)', [SCHEMA_PREFIX]);
      expect(left).toEqual([]);
    } finally {
      await client.end();
    }
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const [, keys] = await redis.scan('0', 'MATCH', `${KEY_PREFIX}*`, 'COUNT', 100_000);
      expect(keys).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 120_000);
});
