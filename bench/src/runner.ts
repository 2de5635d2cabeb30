import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundles } from './build.js';
import type { Correctness, Durability, PagingResult, PresenceKind, ServerKind, StoreKind, StormResult } from './ipc.js';
import { idleRun, loadRun, pagingRun, stormRun, type RunContext } from './runs.js';
import { scenarioById, type Scale, type Scenario, type ScenarioId } from './scenarios.js';
import { median, type LatencySummary } from './stats.js';

/**
 * Runs the scenarios: for each one, rounds in which every server runs once (in a rotating
 * order, so no server always goes first), each in a fresh process with a fresh database,
 * driven by separate load-generator processes.
 */

export interface BenchOptions {
  servers: ServerKind[];
  scenarios: ScenarioId[];
  durabilities: Durability[];
  store: StoreKind;
  presence: PresenceKind;
  rounds: number;
  warmupMs: number;
  durationMs: number;
  /** Load-generator processes; undefined: the scenario's own default (1, or 2 for the group of 200). */
  generators: number | undefined;
  scale: Scale;
  contentBytes: number;
  /** Servers whose process runs with --cpu-prof (profiles land in `profileDir`). */
  profileServers: ServerKind[];
  profileDir: string;
  /** Above this CPU % of one core, a generator is the bottleneck: the run is client-bound. */
  clientBoundPct: number;
  log: (line: string) => void;
}

export interface LoadMetrics {
  windowMs: number;
  sentPerSec: number;
  ackedPerSec: number;
  deliveredPerSec: number;
  /** Paced runs: share of the due messages skipped because the server fell behind (0 = sustained). */
  skippedPct: number;
  latency: LatencySummary;
  ackLatency: LatencySummary;
  serverCpuUsPerMsg: number;
  serverCpuPct: number;
  eldP99Ms: number;
  eldMaxMs: number;
  rssMb: number;
  bytesOutPerMsg: number;
  generatorCpuPct: number[];
  /** All cores of the machine busy over the window, % (everything running on it, other users' work included; -1 where /proc/stat is missing). */
  machineBusyPct: number;
  correctness: Correctness;
}

export interface IdleMetrics {
  connections: number;
  failed: number;
  connectMs: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  /** RSS delta per connection over the second half of the connections (the marginal cost). */
  bytesPerConnection: number;
  /** RSS delta per connection from before the first connection (includes one-time growth). */
  bytesPerConnectionFromStart: number;
  /** V8 heap delta per connection over the second half. */
  heapBytesPerConnection: number;
}

export interface RunResult {
  scenario: ScenarioId;
  durability: Durability;
  server: ServerKind;
  round: number;
  /** Paced runs: the total rate asked for. */
  rate?: number;
  clientBound: boolean;
  profiled: boolean;
  error?: string;
  load?: LoadMetrics;
  idle?: IdleMetrics;
  storm?: StormResult & { serverCpuMs: number };
  paging?: PagingResult & { seedMs: number };
}
export async function runBench(options: BenchOptions, bundles: Bundles): Promise<RunResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const ctx: RunContext = { options, bundles, dataDir, rawRate: new Map(), runs: [] };
  const blocks = plan(options);
  try {
    for (const [i, { scenario, durability }] of blocks.entries()) {
      const started = performance.now();
      const before = ctx.runs.length;
      await runScenario(ctx, scenario, durability);
      options.log(progressLine(`[${i + 1}/${blocks.length}]`, scenario, durability, ctx.runs.slice(before), performance.now() - started));
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return ctx.runs;
}

/** Scenario × durability blocks in run order: a durability's 1-to-1 run comes before its paced-% runs. */
function plan(options: BenchOptions): Array<{ scenario: Scenario; durability: Durability }> {
  const blocks: Array<{ scenario: Scenario; durability: Durability }> = [];
  for (const [d, durability] of options.durabilities.entries()) {
    for (const id of options.scenarios) {
      const scenario = scenarioById(id);
      if (scenario.durabilities === 'first' && d > 0) continue;
      blocks.push({ scenario, durability });
    }
  }
  const order = (b: { scenario: Scenario; durability: Durability }) =>
    options.durabilities.indexOf(b.durability) * 100 + (b.scenario.kind === 'load' && b.scenario.load.mode === 'paced' && 'ofRaw' in b.scenario.load ? 50 : 0);
  return blocks.map((b, i) => ({ b, i })).sort((x, y) => order(x.b) - order(y.b) || x.i - y.i).map(({ b }) => b);
}

async function runScenario(ctx: RunContext, scenario: Scenario, durability: Durability): Promise<void> {
  const { options } = ctx;
  const servers = scenario.kind === 'storm' || scenario.kind === 'paging' ? options.servers.filter((s) => scenario.servers.includes(s)) : options.servers;
  let rate: number | undefined;
  if (scenario.kind === 'load' && scenario.load.mode === 'paced') {
    if ('rate' in scenario.load) rate = scenario.load.rate;
    else {
      const raw = ctx.rawRate.get(durability);
      if (raw === undefined) {
        options.log(`  ${scenario.id} ${durability}: skipped, it needs the raw server's 1-to-1 run (scenario direct) at ${durability}`);
        return;
      }
      rate = Math.round(raw * scenario.load.ofRaw);
    }
  }
  for (let round = 1; round <= options.rounds; round++) {
    const offset = (round - 1) % servers.length;
    const order = [...servers.slice(offset), ...servers.slice(0, offset)];
    for (const server of order) {
      const result: RunResult = { scenario: scenario.id, durability, server, round, clientBound: false, profiled: options.profileServers.includes(server), ...(rate === undefined ? {} : { rate }) };
      try {
        if (scenario.kind === 'load') result.load = await loadRun(ctx, scenario, server, durability, round, rate === undefined ? { mode: 'full' } : { mode: 'paced', rate });
        else if (scenario.kind === 'idle') result.idle = await idleRun(ctx, server, durability, round);
        else if (scenario.kind === 'paging') result.paging = await pagingRun(ctx, scenario, server, durability, round);
        else result.storm = await stormRun(ctx, scenario, server, durability, round);
        result.clientBound = (result.load?.generatorCpuPct ?? []).some((pct) => pct > options.clientBoundPct);
      } catch (error) {
        result.error = error instanceof Error ? error.message.slice(0, 2_000) : String(error);
        options.log(`  ${scenario.id} ${durability} ${server} round ${round}: failed: ${result.error.split('\n')[0]}`);
      }
      ctx.runs.push(result);
    }
  }
  if (scenario.id === 'direct') {
    const raw = ctx.runs.filter((r) => r.scenario === 'direct' && r.durability === durability && r.server === 'raw' && r.load !== undefined && !r.clientBound);
    if (raw.length > 0) ctx.rawRate.set(durability, median(raw.map((r) => (r.load as LoadMetrics).ackedPerSec)));
  }
}

function progressLine(prefix: string, scenario: Scenario, durability: Durability, runs: RunResult[], ms: number): string {
  const byServer = new Map<ServerKind, RunResult[]>();
  for (const run of runs) byServer.set(run.server, [...(byServer.get(run.server) ?? []), run]);
  const parts = [...byServer].map(([server, list]) => {
    const ok = list.filter((r) => r.error === undefined);
    const failed = list.length - ok.length ? ` (${list.length - ok.length} failed)` : '';
    if (scenario.kind === 'idle') return `${server} ${fmt(median(ok.map((r) => (r.idle as IdleMetrics).bytesPerConnection / 1024)), 1)} KB/conn${failed}`;
    if (scenario.kind === 'storm') return `${server} ${fmt(median(ok.map((r) => (r.storm as StormResult).ms)), 0)} ms${failed}`;
    if (scenario.kind === 'paging') {
      const p = (pick: (r: PagingResult) => number) => fmt(median(ok.map((r) => pick(r.paging as PagingResult))), 2);
      return `${server} page p50 thread ${p((r) => r.thread.p50)} ms, conversation ${p((r) => r.conversation.p50)} ms${failed}`;
    }
    const loads = ok.map((r) => r.load as LoadMetrics);
    const wrong = loads.filter((l) => !l.correctness.ok).length;
    const bound = ok.filter((r) => r.clientBound).length;
    const overloaded = loads.filter((l) => l.skippedPct > 0).length;
    return (
      `${server} ${fmt(median(loads.map((l) => l.ackedPerSec)), 0)} msg/s p99 ${fmt(median(loads.map((l) => l.latency.p99)), 1)} ms` +
      `${wrong ? `, ${wrong} incorrect` : ''}${bound ? `, ${bound} client-bound` : ''}${overloaded ? `, ${overloaded} overloaded` : ''}${failed}`
    );
  });
  return `${prefix} ${scenario.id} ${durability}${runs[0]?.rate ? ` @${runs[0].rate} msg/s` : ''}: ${parts.join(' | ')}  (${(ms / 1000).toFixed(1)} s)`;
}

export function fmt(value: number, digits: number): string {
  if (!Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
