import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bundles } from './build.js';
import {
  Child,
  forkChild,
  type Correctness,
  type Durability,
  type GeneratorReply,
  type GeneratorRequest,
  type LoadMode,
  type ServerConfig,
  type ServerKind,
  type ServerMark,
  type ServerReply,
  type ServerRequest,
  type StormResult,
  type PagingResult,
} from './ipc.js';
import { pageToStart } from './paging.js';
import { DATABASE_URL, deleteKeys, dropSchema, freshPrefix, freshSchema, REDIS_URL } from './services.js';
import type { BenchOptions, IdleMetrics, LoadMetrics, RunResult } from './runner.js';
import { directPairs, loners, seeds, splitPlans, type Scenario, type Topology } from './scenarios.js';
import { Histogram } from './stats.js';

/**
 * One run of each kind — load, idle, storm — each with its own server process and
 * load-generator processes, started here and always stopped.
 */

export interface RunContext {
  options: BenchOptions;
  bundles: Bundles;
  dataDir: string;
  /** Raw's median 1-to-1 full-load rate per durability, for the paced-% scenarios. */
  rawRate: Map<Durability, number>;
  runs: RunResult[];
}

type ServerChild = Child<ServerRequest, ServerReply> & { port: number; config: ServerConfig };

/** PARLEY_BENCH_DEBUG=1 prints how long each phase of a run takes (to stderr). */
const debug = process.env.PARLEY_BENCH_DEBUG ? (tag: string, phase: string) => process.stderr.write(`${performance.now().toFixed(0).padStart(8)} ${tag} ${phase}\n`) : () => {};
type GeneratorChild = Child<GeneratorRequest, GeneratorReply>;

async function startServer(ctx: RunContext, kind: ServerKind, durability: Durability, tag: string): Promise<ServerChild> {
  const config: ServerConfig = {
    kind,
    durability,
    store: ctx.options.store,
    presence: ctx.options.presence,
    filename: join(ctx.dataDir, `${tag}.db`),
    // A schema and a key prefix of the run's own, removed in stopServer. The baselines keep
    // presence in memory, so only Parley gets a prefix.
    ...(ctx.options.store === 'postgres' ? { databaseUrl: DATABASE_URL, schema: freshSchema() } : {}),
    ...(ctx.options.presence === 'redis' && kind === 'parley' ? { redisUrl: REDIS_URL, redisPrefix: freshPrefix() } : {}),
  };
  const execArgv = ['--expose-gc'];
  if (ctx.options.profileServers.includes(kind)) {
    mkdirSync(ctx.options.profileDir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${ctx.options.profileDir}`, `--cpu-prof-name=${tag}.cpuprofile`);
  }
  const child = new Child<ServerRequest, ServerReply>(forkChild(ctx.bundles.server, [JSON.stringify(config)], execArgv, `server ${tag}`), `server ${tag}`);
  try {
    const first = await child.next(30_000);
    if (first.op !== 'listening') throw new Error(`server ${tag} did not start: ${JSON.stringify(first)}`);
    return Object.assign(child, { port: first.port, config });
  } catch (error) {
    await child.kill();
    await removeRunData(config);
    throw error;
  }
}

async function stopServer(ctx: RunContext, server: ServerChild, tag: string): Promise<void> {
  try {
    await server.request({ op: 'stop' }, 10_000);
    await Promise.race([server.exited, sleep(5_000)]);
  } finally {
    await server.kill();
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(ctx.dataDir, `${tag}.db${suffix}`), { force: true });
    await removeRunData(server.config);
  }
}

/** Drops the run's Postgres schema and deletes its Redis keys (once its server is gone, even if it crashed). */
async function removeRunData(config: ServerConfig): Promise<void> {
  const failures: string[] = [];
  if (config.schema !== undefined) await dropSchema(config.schema, config.databaseUrl).catch((error: unknown) => failures.push(`schema ${config.schema}: ${String(error)}`));
  if (config.redisPrefix !== undefined) await deleteKeys(config.redisPrefix, config.redisUrl).catch((error: unknown) => failures.push(`keys ${config.redisPrefix}*: ${String(error)}`));
  if (failures.length > 0) process.stderr.write(`bench: could not remove ${failures.join('; ')}\n`);
}

function startGenerators(ctx: RunContext, count: number, tag: string): GeneratorChild[] {
  return Array.from({ length: count }, (_, i) => new Child<GeneratorRequest, GeneratorReply>(forkChild(ctx.bundles.generator, [], [], `generator ${i} ${tag}`), `generator ${i} ${tag}`));
}

/** Starts a server, creates the topology's conversations, connects the generators; `work` does the rest. */
async function withSetup<T>(
  ctx: RunContext,
  kind: ServerKind,
  durability: Durability,
  tag: string,
  topology: Topology,
  connectConcurrency: number,
  generatorCount: number,
  work: (server: ServerChild, generators: GeneratorChild[]) => Promise<T>,
): Promise<T> {
  debug(tag, 'start');
  // The generators start while the server does: neither needs the other until connecting.
  const generators = startGenerators(ctx, Math.min(generatorCount, topology.users.length), tag);
  let server: ServerChild;
  try {
    server = await startServer(ctx, kind, durability, tag);
  } catch (error) {
    await Promise.all(generators.map((g) => g.kill()));
    throw error;
  }
  debug(tag, 'server listening');
  try {
    const setup = await server.request<Extract<ServerReply, { op: 'setup' }>>({ op: 'setup', conversations: seeds(topology) }, 300_000);
    const plans = splitPlans(topology, setup.conversationIds, { server: kind, port: server.port, contentBytes: ctx.options.contentBytes, connectConcurrency }, generators.length);
    debug(tag, 'setup done');
    const connected = await Promise.all(generators.map((g, i) => g.request<Extract<GeneratorReply, { op: 'connected' }>>({ op: 'connect', plan: plans[i]! }, 300_000)));
    debug(tag, 'connected');
    const failed = connected.reduce((sum, c) => sum + c.failed, 0);
    if (failed > 0 && topology.conversations.length > 0) throw new Error(`${failed} of ${topology.users.length} clients could not connect`);
    return await work(server, generators);
  } finally {
    debug(tag, 'measured');
    await Promise.all(generators.map((g) => g.request({ op: 'close' }, 30_000).catch(() => undefined)));
    await Promise.all(generators.map((g) => g.kill()));
    debug(tag, 'clients closed');
    await stopServer(ctx, server, tag);
    debug(tag, 'server stopped');
  }
}

const markAll = async (server: ServerChild, generators: GeneratorChild[], phase: 'start' | 'end') => {
  const [s, ...w] = await Promise.all([server.request({ op: 'mark' }), ...generators.map((g) => g.request({ op: 'mark', phase }))]);
  return { server: s as ServerMark, windows: w as Array<Extract<GeneratorReply, { op: 'mark' }>>, cpu: machineCpu() };
};

/** Busy and total jiffies of all cores, from /proc/stat (null elsewhere). */
function machineCpu(): { busy: number; total: number } | null {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

export async function loadRun(ctx: RunContext, scenario: Extract<Scenario, { kind: 'load' }>, kind: ServerKind, durability: Durability, round: number, mode: LoadMode): Promise<LoadMetrics> {
  const { options } = ctx;
  const tag = `${scenario.id}-${durability}-${kind}-r${round}`;
  const generatorCount = options.generators ?? scenario.generators ?? 1;
  return withSetup(ctx, kind, durability, tag, scenario.topology(options.scale), 64, generatorCount, async (server, generators) => {
    await Promise.all(generators.map((g) => g.request({ op: 'load', ...mode })));
    await sleep(options.warmupMs);
    const start = await markAll(server, generators, 'start');
    await sleep(options.durationMs);
    const end = await markAll(server, generators, 'end');
    debug(tag, 'window closed');
    const reports = await drainAll(generators, 20_000);

    const windowMs = Math.max(...end.windows.map((w) => w.ms));
    const seconds = windowMs / 1000;
    const sum = (pick: (w: (typeof end.windows)[number]) => number) => end.windows.reduce((total, w) => total + pick(w), 0);
    const acked = sum((w) => w.acked);
    const cpuUs = end.server.cpuUser + end.server.cpuSystem - (start.server.cpuUser + start.server.cpuSystem);
    const latency = new Histogram();
    const ackLatency = new Histogram();
    const counts = { sent: 0, acked: 0, errors: 0, expected: 0, delivered: 0, duplicates: 0, outOfOrder: 0 };
    for (const report of reports) {
      latency.merge(report.latency);
      ackLatency.merge(report.ackLatency);
      for (const key of Object.keys(counts) as Array<keyof typeof counts>) counts[key] += report.correctness[key];
    }
    const correctness: Correctness = {
      ...counts,
      ok: counts.acked === counts.sent && counts.errors === 0 && counts.delivered === counts.expected && counts.duplicates === 0 && counts.outOfOrder === 0,
    };
    return {
      windowMs,
      sentPerSec: sum((w) => w.sent) / seconds,
      ackedPerSec: acked / seconds,
      deliveredPerSec: sum((w) => w.delivered) / seconds,
      skippedPct: (sum((w) => w.skipped) / Math.max(1, sum((w) => w.skipped) + sum((w) => w.sent))) * 100,
      latency: latency.summary(),
      ackLatency: ackLatency.summary(),
      serverCpuUsPerMsg: acked === 0 ? Number.NaN : cpuUs / acked,
      serverCpuPct: cpuUs / 1000 / windowMs * 100,
      eldP99Ms: end.server.eldP99,
      eldMaxMs: end.server.eldMax,
      rssMb: end.server.rss / 2 ** 20,
      bytesOutPerMsg: acked === 0 ? Number.NaN : (end.server.bytesOut - start.server.bytesOut) / acked,
      generatorCpuPct: end.windows.map((w) => w.cpuPct),
      machineBusyPct: start.cpu === null || end.cpu === null ? -1 : ((end.cpu.busy - start.cpu.busy) / Math.max(1, end.cpu.total - start.cpu.total)) * 100,
      correctness,
    };
  });
}

/**
 * Stops the load, waits until every send is answered and every expected delivery arrived
 * (counted over all generators: a message's recipients may be in other processes), then
 * collects the counts and histograms.
 */
async function drainAll(generators: GeneratorChild[], timeoutMs: number) {
  await Promise.all(generators.map((g) => g.request({ op: 'drain', timeoutMs }, timeoutMs + 10_000)));
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const totals = (await Promise.all(generators.map((g) => g.request({ op: 'totals' })))) as Array<Extract<GeneratorReply, { op: 'totals' }>>;
    const delivered = totals.reduce((n, t) => n + t.delivered, 0);
    const expected = totals.reduce((n, t) => n + t.expected, 0);
    if (delivered >= expected || performance.now() > deadline) break;
    await sleep(20);
  }
  await sleep(50); // a late duplicate would show up here
  return (await Promise.all(generators.map((g) => g.request({ op: 'report' })))) as Array<Extract<GeneratorReply, { op: 'report' }>>;
}

/**
 * Idle connections, opened in two halves by two generators. Memory is read (after a full GC)
 * before, between and after: the second half's RSS delta per connection is the marginal
 * cost, free of one-time growth (V8's young generation, code, buffers pools) that the first
 * connections pay; the delta from the start is reported too.
 */
export async function idleRun(ctx: RunContext, kind: ServerKind, durability: Durability, round: number): Promise<IdleMetrics> {
  const tag = `idle-${durability}-${kind}-r${round}`;
  const count = ctx.options.scale.idleConnections;
  // Two generators per half: opening sockets is the generator's heaviest work.
  const generators = startGenerators(ctx, 4, tag);
  let server: ServerChild;
  try {
    server = await startServer(ctx, kind, durability, tag);
  } catch (error) {
    await Promise.all(generators.map((g) => g.kill()));
    throw error;
  }
  try {
    await server.request({ op: 'setup', conversations: [] });
    const memory = () => server.request<Extract<ServerReply, { op: 'memory' }>>({ op: 'memory' });
    const plans = splitPlans(loners(count), [], { server: kind, port: server.port, contentBytes: ctx.options.contentBytes, connectConcurrency: 100 }, 4);
    await sleep(100);
    const before = await memory();
    const connect = async (half: 0 | 1) => {
      const replies = await Promise.all(
        [2 * half, 2 * half + 1].map((g) => generators[g]!.request<Extract<GeneratorReply, { op: 'connected' }>>({ op: 'connect', plan: plans[g]! }, 300_000)),
      );
      await sleep(200);
      const size = plans[0]!.parts.filter((p) => p === 2 * half || p === 2 * half + 1).length;
      return { ms: Math.max(...replies.map((r) => r.ms)), failed: replies.reduce((n, r) => n + r.failed, 0), size };
    };
    debug(tag, 'server ready');
    const first = await connect(0);
    const middle = await memory();
    debug(tag, 'first half');
    const second = await connect(1);
    const after = await memory();
    debug(tag, 'second half');
    const half = second.size - second.failed;
    const open = count - first.failed - second.failed;
    return {
      connections: open,
      failed: first.failed + second.failed,
      connectMs: first.ms + second.ms,
      rssBeforeMb: before.rss / 2 ** 20,
      rssAfterMb: after.rss / 2 ** 20,
      bytesPerConnection: (after.rss - middle.rss) / half,
      bytesPerConnectionFromStart: (after.rss - before.rss) / open,
      heapBytesPerConnection: (after.heapUsed - middle.heapUsed) / half,
    };
  } finally {
    await Promise.all(generators.map((g) => g.request({ op: 'close' }, 60_000).catch(() => undefined)));
    await Promise.all(generators.map((g) => g.kill()));
    debug(tag, 'clients closed');
    await stopServer(ctx, server, tag);
    debug(tag, 'server stopped');
  }
}

export async function stormRun(ctx: RunContext, scenario: Extract<Scenario, { kind: 'storm' }>, kind: ServerKind, durability: Durability, round: number): Promise<StormResult & { serverCpuMs: number }> {
  const tag = `storm-${durability}-${kind}-r${round}`;
  const topology = directPairs(Math.floor(ctx.options.scale.stormClients / 2));
  return withSetup(ctx, kind, durability, tag, topology, 200, ctx.options.generators ?? 1, async (server, generators) => {
    const start = await server.request<ServerMark & { op: 'mark' }>({ op: 'mark' });
    const results = await Promise.all(generators.map((g) => g.request<Extract<GeneratorReply, { op: 'storm' }>>({ op: 'storm', missed: scenario.missed, timeoutMs: 60_000 }, 120_000)));
    const end = await server.request<ServerMark & { op: 'mark' }>({ op: 'mark' });
    return {
      clients: results.reduce((n, r) => n + r.clients, 0),
      ms: Math.max(...results.map((r) => r.ms)),
      caughtUp: results.reduce((n, r) => n + r.caughtUp, 0),
      recovered: results.reduce((n, r) => n + r.recovered, 0),
      expected: results.reduce((n, r) => n + r.expected, 0),
      cpuPct: Math.max(...results.map((r) => r.cpuPct)),
      ok: results.every((r) => r.ok),
      serverCpuMs: (end.cpuUser + end.cpuSystem - start.cpuUser - start.cpuSystem) / 1000,
    };
  });
}


/** A long thread seeded on a fresh server, then paged to its start beside its conversation (Parley only). */
export async function pagingRun(ctx: RunContext, scenario: Extract<Scenario, { kind: 'paging' }>, kind: ServerKind, durability: Durability, round: number): Promise<PagingResult & { seedMs: number }> {
  const tag = `paging-${durability}-${kind}-r${round}`;
  const server = await startServer(ctx, kind, durability, tag);
  try {
    const seed = await server.request<Extract<ServerReply, { op: 'seedThread' }>>({ op: 'seedThread', replies: scenario.replies }, 300_000);
    debug(tag, `seeded in ${seed.ms.toFixed(0)} ms`);
    // One warm-up walk (statement caches, page cache), then the measured one.
    await pageToStart(server.port, seed, scenario.pageSize);
    return { ...(await pageToStart(server.port, seed, scenario.pageSize)), seedMs: seed.ms };
  } finally {
    await stopServer(ctx, server, tag);
  }
}
