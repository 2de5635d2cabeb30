import type { Durability, ServerKind } from './ipc.js';
import { fmt, type IdleMetrics, type LoadMetrics, type RunResult } from './runner.js';
import type { ScenarioId } from './scenarios.js';
import { median, ratio } from './stats.js';

/**
 * Turns runs into the summary: per scenario, durability and server the median of each
 * metric over its rounds; Parley against each baseline the median of per-round ratios
 * (rounds where either side was client-bound, failed or incorrect are left out); and the
 * issue's targets, pass or miss.
 */

export interface SummaryRow {
  scenario: ScenarioId;
  durability: Durability;
  server: ServerKind;
  rate?: number;
  rounds: number;
  failed: number;
  clientBound: number;
  incorrect: number;
  /** Paced rounds in which the server fell behind the rate. */
  overloaded: number;
  msgsPerSec?: number;
  deliveriesPerSec?: number;
  p50?: number;
  p99?: number;
  p999?: number;
  max?: number;
  cpuUsPerMsg?: number;
  serverCpuPct?: number;
  eldP99Ms?: number;
  rssMb?: number;
  bytesOutPerMsg?: number;
  generatorCpuPct?: number;
  machineBusyPct?: number;
  kbPerConnection?: number;
  kbPerConnectionFromStart?: number;
  heapKbPerConnection?: number;
  connections?: number;
  stormMs?: number;
  stormClients?: number;
  stormOk?: number;
  pagingReplies?: number;
  pagingPages?: number;
  threadPageP50?: number;
  threadPageP99?: number;
  threadFirstPage?: number;
  conversationPageP50?: number;
  conversationPageP99?: number;
  conversationFirstPage?: number;
}

export interface RatioRow {
  scenario: ScenarioId;
  durability: Durability;
  baseline: ServerKind;
  metric: string;
  /** Parley ÷ baseline, median of per-round ratios. */
  value: number;
  rounds: number;
}

export interface TargetRow {
  target: string;
  measured: string;
  verdict: 'pass' | 'miss' | 'n/a';
  note?: string;
}

export const SERVER_NAMES: Record<ServerKind, string> = { parley: 'Parley', socketio: 'Socket.IO', raw: 'raw' };

const loadOf = (r: RunResult) => r.load as LoadMetrics;
const usable = (r: RunResult) => r.error === undefined;
/** A round that may enter a ratio. */
const comparable = (r: RunResult | undefined) =>
  r !== undefined && usable(r) && !r.clientBound && (r.load === undefined || r.load.correctness.ok) && (r.storm === undefined || r.storm.ok) && (r.paging === undefined || r.paging.ok);

export function summarize(runs: RunResult[]): SummaryRow[] {
  const groups = new Map<string, RunResult[]>();
  for (const run of runs) {
    const key = `${run.scenario}|${run.durability}|${run.server}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].map((list) => {
    const first = list[0] as RunResult;
    const ok = list.filter(usable);
    const row: SummaryRow = {
      scenario: first.scenario,
      durability: first.durability,
      server: first.server,
      ...(first.rate === undefined ? {} : { rate: first.rate }),
      rounds: list.length,
      failed: list.length - ok.length,
      clientBound: ok.filter((r) => r.clientBound).length,
      incorrect: ok.filter((r) => (r.load !== undefined && !r.load.correctness.ok) || (r.storm !== undefined && !r.storm.ok) || (r.paging !== undefined && !r.paging.ok)).length,
      overloaded: ok.filter((r) => (r.load?.skippedPct ?? 0) > 0).length,
    };
    const loads = ok.filter((r) => r.load !== undefined).map(loadOf);
    if (loads.length > 0) {
      const m = (pick: (l: LoadMetrics) => number) => median(loads.map(pick));
      Object.assign(row, {
        msgsPerSec: m((l) => l.ackedPerSec),
        deliveriesPerSec: m((l) => l.deliveredPerSec),
        p50: m((l) => l.latency.p50),
        p99: m((l) => l.latency.p99),
        p999: m((l) => l.latency.p999),
        max: m((l) => l.latency.max),
        cpuUsPerMsg: m((l) => l.serverCpuUsPerMsg),
        serverCpuPct: m((l) => l.serverCpuPct),
        eldP99Ms: m((l) => l.eldP99Ms),
        rssMb: m((l) => l.rssMb),
        bytesOutPerMsg: m((l) => l.bytesOutPerMsg),
        generatorCpuPct: m((l) => Math.max(...l.generatorCpuPct)),
        machineBusyPct: m((l) => (l.machineBusyPct < 0 ? Number.NaN : l.machineBusyPct)),
      });
    }
    const idles = ok.filter((r) => r.idle !== undefined).map((r) => r.idle as IdleMetrics);
    if (idles.length > 0) {
      row.kbPerConnection = median(idles.map((i) => i.bytesPerConnection / 1024));
      row.kbPerConnectionFromStart = median(idles.map((i) => i.bytesPerConnectionFromStart / 1024));
      row.heapKbPerConnection = median(idles.map((i) => i.heapBytesPerConnection / 1024));
      row.connections = median(idles.map((i) => i.connections));
      row.rssMb = median(idles.map((i) => i.rssAfterMb));
    }
    const storms = ok.filter((r) => r.storm !== undefined).map((r) => r.storm!);
    if (storms.length > 0) {
      row.stormMs = median(storms.map((s) => s.ms));
      row.stormClients = median(storms.map((s) => s.clients));
      row.stormOk = storms.filter((s) => s.ok).length;
    }
    const pagings = ok.filter((r) => r.paging !== undefined && r.paging.ok).map((r) => r.paging!);
    if (pagings.length > 0) {
      const m = (pick: (p: (typeof pagings)[number]) => number) => median(pagings.map(pick));
      Object.assign(row, {
        pagingReplies: m((p) => p.replies),
        pagingPages: m((p) => p.thread.pages),
        threadPageP50: m((p) => p.thread.p50),
        threadPageP99: m((p) => p.thread.p99),
        threadFirstPage: m((p) => p.thread.first),
        conversationPageP50: m((p) => p.conversation.p50),
        conversationPageP99: m((p) => p.conversation.p99),
        conversationFirstPage: m((p) => p.conversation.first),
      });
    }
    return row;
  });
}

const RATIO_METRICS: Array<{ metric: string; pick: (r: RunResult) => number | undefined }> = [
  { metric: 'msgs/s', pick: (r) => r.load?.ackedPerSec },
  { metric: 'deliveries/s', pick: (r) => r.load?.deliveredPerSec },
  { metric: 'CPU µs/msg', pick: (r) => r.load?.serverCpuUsPerMsg },
  { metric: 'p99', pick: (r) => r.load?.latency.p99 },
  { metric: 'bytes/msg', pick: (r) => r.load?.bytesOutPerMsg },
  { metric: 'KB/conn', pick: (r) => (r.idle === undefined ? undefined : r.idle.bytesPerConnection) },
];

export function ratios(runs: RunResult[]): RatioRow[] {
  const rows: RatioRow[] = [];
  const blocks = new Map<string, RunResult[]>();
  for (const run of runs) blocks.set(`${run.scenario}|${run.durability}`, [...(blocks.get(`${run.scenario}|${run.durability}`) ?? []), run]);
  for (const list of blocks.values()) {
    const first = list[0] as RunResult;
    for (const baseline of ['socketio', 'raw'] as const) {
      for (const { metric, pick } of RATIO_METRICS) {
        const perRound: number[] = [];
        for (const round of new Set(list.map((r) => r.round))) {
          const parley = list.find((r) => r.round === round && r.server === 'parley');
          const other = list.find((r) => r.round === round && r.server === baseline);
          if (!comparable(parley) || !comparable(other)) continue;
          const value = ratio(pick(parley as RunResult), pick(other as RunResult));
          if (Number.isFinite(value)) perRound.push(value);
        }
        if (perRound.length > 0) rows.push({ scenario: first.scenario, durability: first.durability, baseline, metric, value: median(perRound), rounds: perRound.length });
      }
    }
  }
  return rows;
}

const onPg = (row: SummaryRow) => (row.durability === 'pg' ? ' (Postgres)' : '');

/** The targets (#10), checked on what this run measured. */
export function targets(summary: SummaryRow[], ratioRows: RatioRow[], scale: { idleConnections: number; stormClients: number }): TargetRow[] {
  const rows: TargetRow[] = [];
  const r = (scenario: ScenarioId, durability: Durability, baseline: ServerKind, metric: string) =>
    ratioRows.find((x) => x.scenario === scenario && x.durability === durability && x.baseline === baseline && x.metric === metric);
  const s = (scenario: ScenarioId, server: ServerKind, durability?: Durability) =>
    summary.filter((x) => x.scenario === scenario && x.server === server && (durability === undefined || x.durability === durability));
  const durabilities = [...new Set(summary.map((x) => x.durability))];
  // The issue states its ratio targets for the full stack on SQLite, and one for Postgres.
  const sqlite = durabilities.filter((d) => d !== 'pg');
  const postgres = durabilities.filter((d) => d === 'pg');
  const ratioTarget = (label: string, scenario: ScenarioId, baseline: ServerKind, metric: string, bound: number, atLeast: boolean, at: Durability[] = sqlite) => {
    for (const d of at) {
      if (!summary.some((x) => x.scenario === scenario && x.durability === d)) continue;
      const row = r(scenario, d, baseline, metric);
      const target = `${label} (${d === 'pg' ? 'Postgres' : d})`;
      rows.push(
        row === undefined
          ? { target, measured: '—', verdict: 'n/a', note: 'no comparable round (missing, failed, incorrect or client-bound)' }
          : { target, measured: `${fmt(row.value, 2)}×`, verdict: (atLeast ? row.value >= bound : row.value <= bound) ? 'pass' : 'miss' },
      );
    }
  };
  ratioTarget('1-to-1 msgs/s ≥ 1.5× Socket.IO', 'direct', 'socketio', 'msgs/s', 1.5, true);
  ratioTarget('1-to-1 msgs/s ≥ 0.8× raw', 'direct', 'raw', 'msgs/s', 0.8, true);
  ratioTarget('1-to-1 msgs/s ≥ 0.8× raw', 'direct', 'raw', 'msgs/s', 0.8, true, postgres);
  ratioTarget('server CPU/msg ≤ 1.5× raw', 'direct', 'raw', 'CPU µs/msg', 1.5, false);
  for (const row of s('paced-5k', 'parley')) {
    const p99 = row.p99 ?? Number.NaN;
    const sustained = row.overloaded === 0;
    rows.push({
      target: `paced 5,000 msg/s p99 ≤ 5 ms (${row.durability === 'pg' ? 'Postgres' : row.durability})`,
      measured: `${fmt(p99, 1)} ms`,
      verdict: !Number.isFinite(p99) ? 'n/a' : p99 <= 5 && sustained ? 'pass' : 'miss',
      ...(sustained ? {} : { note: `fell behind the rate in ${row.overloaded} of ${row.rounds} rounds (${fmt(row.msgsPerSec ?? Number.NaN, 0)} msg/s)` }),
    });
  }
  ratioTarget('group of 20 deliveries/s ≥ 0.9× raw', 'group20', 'raw', 'deliveries/s', 0.9, true);
  ratioTarget('group of 200 deliveries/s ≥ 0.9× raw', 'group200', 'raw', 'deliveries/s', 0.9, true);
  for (const row of s('idle', 'parley')) {
    const kb = row.kbPerConnection ?? Number.NaN;
    rows.push({
      target: `≤ 12 KB per idle connection${onPg(row)}`,
      measured: `${fmt(kb, 1)} KB`,
      verdict: !Number.isFinite(kb) ? 'n/a' : kb <= 12 ? 'pass' : 'miss',
      ...(scale.idleConnections === 10_000 ? {} : { note: `measured with ${scale.idleConnections.toLocaleString('en-US')} connections, not 10,000` }),
    });
  }
  for (const row of s('storm', 'parley')) {
    const ms = row.stormMs ?? Number.NaN;
    const full = scale.stormClients >= 5_000;
    rows.push({
      target: `5,000 reconnects caught up ≤ 5 s${onPg(row)}`,
      measured: `${fmt(ms / 1000, 2)} s for ${fmt(row.stormClients ?? Number.NaN, 0)}`,
      verdict: !full || !Number.isFinite(ms) ? 'n/a' : ms <= 5_000 ? 'pass' : 'miss',
      ...(full ? {} : { note: 'smaller storm than the target\'s 5,000 clients' }),
    });
  }
  for (const row of s('thread10k', 'parley')) {
    const thread = row.threadPageP50 ?? Number.NaN;
    const conversation = row.conversationPageP50 ?? Number.NaN;
    rows.push({
      target: `a thread of 10,000 replies pages as fast as a conversation (issue 14; page p50 ≤ 1.5× the timeline's)${onPg(row)}`,
      measured: `${fmt(thread, 2)} ms vs ${fmt(conversation, 2)} ms per page`,
      verdict: !Number.isFinite(thread) || !Number.isFinite(conversation) ? 'n/a' : thread <= 1.5 * conversation ? 'pass' : 'miss',
    });
  }
  return rows;
}

/** Fixed-width text table. */
function table(header: string[], rows: string[][], leftColumns = 3): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function flags(row: SummaryRow): string {
  const notes = [];
  if (row.incorrect > 0) notes.push(`${row.incorrect} INCORRECT`);
  if (row.clientBound > 0) notes.push(`${row.clientBound} client-bound`);
  if (row.overloaded > 0) notes.push(`${row.overloaded} overloaded`);
  if (row.failed > 0) notes.push(`${row.failed} failed`);
  return notes.length === 0 ? 'ok' : notes.join(', ');
}

export function formatReport(summary: SummaryRow[], ratioRows: RatioRow[], targetRows: TargetRow[]): string {
  const out: string[] = [];
  const load = summary.filter((r) => r.msgsPerSec !== undefined);
  if (load.length > 0) {
    out.push(
      table(
        ['scenario', 'sync', 'server', 'msg/s', 'deliv/s', 'p50 ms', 'p99', 'p99.9', 'max', 'CPU µs/msg', 'srv CPU%', 'ELD p99', 'RSS MB', 'B out/msg', 'gen CPU%', 'box CPU%', 'rounds', 'correct'],
        load.map((r) => [
          r.rate === undefined ? r.scenario : `${r.scenario} @${fmt(r.rate, 0)}`,
          r.durability,
          SERVER_NAMES[r.server],
          fmt(r.msgsPerSec!, 0),
          fmt(r.deliveriesPerSec!, 0),
          fmt(r.p50!, 2),
          fmt(r.p99!, 2),
          fmt(r.p999!, 1),
          fmt(r.max!, 1),
          fmt(r.cpuUsPerMsg!, 0),
          fmt(r.serverCpuPct!, 0),
          fmt(r.eldP99Ms!, 1),
          fmt(r.rssMb!, 0),
          fmt(r.bytesOutPerMsg!, 0),
          fmt(r.generatorCpuPct!, 0),
          fmt(r.machineBusyPct ?? Number.NaN, 0),
          String(r.rounds),
          flags(r),
        ]),
      ),
    );
  }
  const idle = summary.filter((r) => r.kbPerConnection !== undefined);
  if (idle.length > 0) {
    out.push(
      '',
      table(
        ['idle', 'sync', 'server', 'connections', 'KB/conn', 'KB/conn from start', 'heap KB/conn', 'RSS MB', 'rounds', 'correct'],
        idle.map((r) => [
          'idle',
          r.durability,
          SERVER_NAMES[r.server],
          fmt(r.connections!, 0),
          fmt(r.kbPerConnection!, 1),
          fmt(r.kbPerConnectionFromStart!, 1),
          fmt(r.heapKbPerConnection!, 1),
          fmt(r.rssMb!, 0),
          String(r.rounds),
          flags(r),
        ]),
      ),
    );
  }
  const storm = summary.filter((r) => r.stormMs !== undefined || (r.scenario === 'storm' && r.failed > 0));
  if (storm.length > 0) {
    out.push('', table(['storm', 'sync', 'server', 'clients', 'caught up ms', 'rounds', 'correct'], storm.map((r) => ['storm', r.durability, SERVER_NAMES[r.server], fmt(r.stormClients ?? Number.NaN, 0), fmt(r.stormMs ?? Number.NaN, 0), String(r.rounds), flags(r)])));
  }
  const paging = summary.filter((r) => r.threadPageP50 !== undefined || (r.scenario === 'thread10k' && (r.failed > 0 || r.incorrect > 0)));
  if (paging.length > 0) {
    out.push(
      '',
      table(
        ['paging', 'sync', 'server', 'replies', 'pages', 'thread p50 ms', 'p99', 'first', 'timeline p50 ms', 'p99', 'first', 'rounds', 'correct'],
        paging.map((r) => [
          r.scenario,
          r.durability,
          SERVER_NAMES[r.server],
          fmt(r.pagingReplies ?? Number.NaN, 0),
          fmt(r.pagingPages ?? Number.NaN, 0),
          fmt(r.threadPageP50 ?? Number.NaN, 2),
          fmt(r.threadPageP99 ?? Number.NaN, 2),
          fmt(r.threadFirstPage ?? Number.NaN, 2),
          fmt(r.conversationPageP50 ?? Number.NaN, 2),
          fmt(r.conversationPageP99 ?? Number.NaN, 2),
          fmt(r.conversationFirstPage ?? Number.NaN, 2),
          String(r.rounds),
          flags(r),
        ]),
      ),
    );
  }
  const shown = ratioRows.filter((r) => r.metric !== 'deliveries/s' || r.scenario.startsWith('group'));
  if (shown.length > 0) {
    out.push('', 'Parley ÷ baseline (median of per-round ratios; failed, incorrect and client-bound rounds left out)');
    const keys = [...new Set(shown.map((r) => `${r.scenario}|${r.durability}`))];
    const metrics = [...new Set(shown.map((r) => r.metric))];
    const rows = keys.flatMap((key) =>
      (['socketio', 'raw'] as const).map((baseline) => {
        const [scenario, durability] = key.split('|') as [string, string];
        return [scenario, durability, `vs ${SERVER_NAMES[baseline]}`, ...metrics.map((metric) => {
          const row = shown.find((r) => `${r.scenario}|${r.durability}` === key && r.baseline === baseline && r.metric === metric);
          return row === undefined ? '' : `${fmt(row.value, 2)}×`;
        })];
      }),
    );
    out.push(table(['scenario', 'sync', 'against', ...metrics], rows.filter((r) => r.slice(3).some((c) => c !== ''))));
  }
  if (targetRows.length > 0) {
    out.push('', 'Targets (issues 10 and 14)');
    out.push(table(['target', 'measured', 'verdict', 'note'], targetRows.map((t) => [t.target, t.measured, t.verdict.toUpperCase(), t.note ?? '']), 4).replace(/ +$/gm, ''));
  }
  return out.join('\n');
}
