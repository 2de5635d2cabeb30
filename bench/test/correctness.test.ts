import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchDir, buildBundles } from '../src/build.js';
import { runBench, type LoadMetrics } from '../src/runner.js';
import { tinyRun } from './tiny-run.js';

/**
 * The bench's own check: a tiny 1-to-1 run against all three servers loses, repeats and
 * reorders nothing. Only correctness is asserted — never a time or a rate.
 */
describe('bench harness', () => {
  const bundleDir = join(benchDir, '..', 'node_modules', '.cache', `parley-bench-${process.pid}`);
  afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

  it('delivers every message once and in order, and every send is acknowledged, on all three servers', async () => {
    const bundles = await buildBundles(bundleDir);
    const runs = await runBench(
      tinyRun({ servers: ['parley', 'socketio', 'raw'], scenarios: ['direct'], durabilities: ['NORMAL'], store: 'sqlite', presence: 'memory', durationMs: 700, generators: 2 }),
      bundles,
    );
    expect(runs.map((r) => r.server).sort()).toEqual(['parley', 'raw', 'socketio']);
    for (const run of runs) {
      expect(run.error, `${run.server}: ${run.error}`).toBeUndefined();
      const { correctness } = run.load as LoadMetrics;
      expect(correctness.sent, run.server).toBeGreaterThan(0);
      expect(correctness.acked, run.server).toBe(correctness.sent);
      expect(correctness.errors, run.server).toBe(0);
      expect(correctness.delivered, run.server).toBe(correctness.expected);
      expect(correctness.duplicates, run.server).toBe(0);
      expect(correctness.outOfOrder, run.server).toBe(0);
      expect(correctness.ok, run.server).toBe(true);
    }
  }, 120_000);

  it('pages a thread of 10,000 replies and its conversation to the start: every reply once, in order, none in the timeline', async () => {
    const bundles = await buildBundles(bundleDir);
    const options = tinyRun({ servers: ['parley', 'socketio', 'raw'], scenarios: ['thread10k'], durabilities: ['NORMAL'], store: 'sqlite', presence: 'memory', warmupMs: 0, durationMs: 0, scale: { pairs: 1, idleConnections: 1, stormClients: 2 } });
    const runs = await runBench(options, bundles);
    expect(runs.map((r) => r.server)).toEqual(['parley']);
    const [run] = runs;
    expect(run!.error).toBeUndefined();
    expect(run!.paging).toMatchObject({ ok: true, replies: 10_000, thread: { pages: 200 } });
  }, 180_000);
});
