import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { benchDir, buildBundles } from './build.js';
import { fileLimits, type Durability, type PresenceKind, type ServerKind, type SqliteDurability, type StoreKind } from './ipc.js';
import { formatProfile, summarizeProfile } from './profile.js';
import { formatReport, ratios, summarize, targets } from './report.js';
import { runBench, type BenchOptions } from './runner.js';
import { servicesUnavailable } from './services.js';
import { SCENARIO_IDS, type ScenarioId } from './scenarios.js';

const HELP = `npm run bench [-- flags]

  --quick                 a short run (< 2 min): fewer rounds and scenarios, shorter windows
  --servers LIST          parley,socketio,raw (default: all three)
  --scenarios LIST        ${SCENARIO_IDS.join(',')}
                          (default: all; --quick: direct,paced-5k,idle,storm,thread10k)
  --durability LIST       FULL,NORMAL: SQLite's synchronous (default: both; --quick: FULL);
                          does not apply to Postgres (shown as "pg": synchronous_commit = on)
  --store NAME            sqlite or postgres, for all three servers (default sqlite);
                          postgres: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test),
                          a fresh schema per run, dropped after it
  --presence NAME         memory or redis, Parley's presence (default memory);
                          redis: REDIS_URL (default redis://127.0.0.1:6379), a fresh key prefix per run
  --rounds N              rounds per scenario, servers alternated (default 5; --quick 2)
  --warmup S              seconds of load before the window (default 0.5; --quick 0.3)
  --duration S            seconds measured per run (default 2; --quick 1)
  --generators N          load-generator processes (default 1; 2 for group200)
  --pairs N               1-to-1 pairs (default 100)
  --idle N                idle connections (default 10000; --quick 1000)
  --storm N               reconnect-storm clients (default 5000; --quick 1000)
  --content-bytes N       message size (default 200)
  --client-bound PCT      generator CPU above which a run is client-bound (default 90)
  --profile               run the Parley server with --cpu-prof; profiles go to bench/results/profiles-<date>/
  --profile-servers LIST  which servers to profile with --profile (default parley)
  --summarize FILE        print the top self-time functions of a .cpuprofile and exit
  --out FILE              where the JSON goes (default bench/results/<ISO date>.json)
`;

const list = <T extends string>(value: string | undefined, allowed: readonly T[], name: string, fallback: T[]): T[] => {
  if (value === undefined) return fallback;
  const items = value.split(',').map((v) => v.trim()).filter(Boolean);
  const bad = items.filter((v) => !(allowed as readonly string[]).includes(v));
  if (bad.length > 0) throw new Error(`--${name}: unknown ${bad.join(', ')}; expected some of ${allowed.join(', ')}`);
  return items as T[];
};
const number = (value: string | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${value}`);
  return n;
};

function machine() {
  const cpuModel = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? cpus()[0]?.model ?? 'unknown').trim();
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // cpus() is close enough
  }
  return { node: process.version, nproc, cpu: cpuModel, platform: `${process.platform} ${process.arch}`, loadavg: loadavg().map((l) => Number(l.toFixed(2))), fileLimit: fileLimits() };
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      servers: { type: 'string' },
      scenarios: { type: 'string' },
      durability: { type: 'string' },
      store: { type: 'string' },
      presence: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      generators: { type: 'string' },
      pairs: { type: 'string' },
      idle: { type: 'string' },
      storm: { type: 'string' },
      'content-bytes': { type: 'string' },
      'client-bound': { type: 'string' },
      profile: { type: 'boolean' },
      'profile-servers': { type: 'string' },
      summarize: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(HELP);
  if (values.summarize !== undefined) return void process.stdout.write(`${formatProfile(summarizeProfile(values.summarize))}\n`);

  const quick = values.quick === true;
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const resultsDir = join(benchDir, 'results');
  const servers = list<ServerKind>(values.servers, ['parley', 'socketio', 'raw'], 'servers', ['parley', 'socketio', 'raw']);
  const stores = list<StoreKind>(values.store, ['sqlite', 'postgres'], 'store', ['sqlite']);
  const presences = list<PresenceKind>(values.presence, ['memory', 'redis'], 'presence', ['memory']);
  if (stores.length !== 1 || presences.length !== 1) throw new Error('--store and --presence take one name each');
  const store = stores[0] as StoreKind;
  // Postgres has one durability here, its default: --durability (SQLite's synchronous) does not apply.
  const durabilities: Durability[] =
    store === 'postgres' ? ['pg'] : list<SqliteDurability>(values.durability, ['FULL', 'NORMAL'], 'durability', quick ? ['FULL'] : ['FULL', 'NORMAL']);
  if (store === 'postgres' && values.durability !== undefined) {
    process.stdout.write(`--durability ${values.durability} does not apply to Postgres: every server commits at synchronous_commit = on (its default), shown as "pg".\n`);
  }
  const options: BenchOptions = {
    servers,
    scenarios: list<ScenarioId>(values.scenarios, SCENARIO_IDS, 'scenarios', quick ? ['direct', 'paced-5k', 'idle', 'storm', 'thread10k'] : SCENARIO_IDS),
    durabilities,
    store,
    presence: presences[0] as PresenceKind,
    rounds: Math.round(number(values.rounds, quick ? 2 : 5, 'rounds')),
    warmupMs: number(values.warmup, quick ? 0.3 : 0.5, 'warmup') * 1000,
    durationMs: number(values.duration, quick ? 1 : 2, 'duration') * 1000,
    generators: values.generators === undefined ? undefined : Math.round(number(values.generators, 1, 'generators')),
    scale: {
      pairs: Math.round(number(values.pairs, 100, 'pairs')),
      idleConnections: Math.round(number(values.idle, quick ? 1_000 : 10_000, 'idle')),
      stormClients: Math.round(number(values.storm, quick ? 1_000 : 5_000, 'storm')),
    },
    contentBytes: Math.round(number(values['content-bytes'], 200, 'content-bytes')),
    profileServers: values.profile ? list<ServerKind>(values['profile-servers'], ['parley', 'socketio', 'raw'], 'profile-servers', ['parley']) : [],
    profileDir: join(resultsDir, `profiles-${stamp}`),
    clientBoundPct: number(values['client-bound'], 90, 'client-bound'),
    log: (line) => process.stdout.write(`${line}\n`),
  };

  const unavailable = await servicesUnavailable(options.store, options.presence);
  if (unavailable.length > 0) throw new Error(unavailable.join('\n'));

  const started = performance.now();
  const info = machine();
  const limits = info.fileLimit;
  process.stdout.write(
    `Parley bench${quick ? ' (quick)' : ''}: ${options.servers.join(', ')} × ${options.scenarios.join(', ')} × ${options.durabilities.join('/')}, ` +
      `store ${options.store === 'postgres' ? 'postgres (synchronous_commit = on)' : 'sqlite'}, presence ${options.presence}, ` +
      `${options.rounds} rounds, ${options.durationMs / 1000} s windows — node ${info.node}, ${info.nproc} cores, ${info.cpu}, load ${info.loadavg.join(' ')}\n`,
  );
  if (limits.soft < 12_000) {
    process.stdout.write(
      limits.hard > limits.soft
        ? `Open-file limit ${limits.soft}: children are started with ulimit -n ${limits.hard}.\n`
        : `Open-file limit ${limits.soft} (hard ${limits.hard}): 10,000 idle connections may not fit; use --idle to lower the count.\n`,
    );
  }
  const bundles = await buildBundles();
  const runs = await runBench(options, bundles);
  const summary = summarize(runs);
  const ratioRows = ratios(runs);
  const targetRows = targets(summary, ratioRows, options.scale);
  const wallMs = performance.now() - started;

  const out = values.out ?? join(resultsDir, `${stamp}.json`);
  mkdirSync(resultsDir, { recursive: true });
  const { log: _log, ...recorded } = options;
  writeFileSync(out, `${JSON.stringify({ startedAt: stamp, wallSeconds: wallMs / 1000, quick, machine: info, options: recorded, summary, ratios: ratioRows, targets: targetRows, runs }, null, 2)}\n`);
  process.stdout.write(`\n${formatReport(summary, ratioRows, targetRows)}\n\n`);
  process.stdout.write(`Wrote ${relative(process.cwd(), out)} in ${(wallMs / 1000).toFixed(0)} s.\n`);
  if (options.profileServers.length > 0 && existsSync(options.profileDir)) {
    // Summarised now, while the bundles the source maps point into are the ones that ran.
    for (const file of readdirSync(options.profileDir).filter((f) => f.endsWith('.cpuprofile'))) {
      const path = join(options.profileDir, file);
      writeFileSync(path.replace(/\.cpuprofile$/, '.summary.md'), `${formatProfile(summarizeProfile(path))}\n`);
    }
    process.stdout.write(`CPU profiles and their summaries (*.summary.md) in ${relative(process.cwd(), options.profileDir)}/\n`);
  }
}
