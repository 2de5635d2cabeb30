import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A short reading of a `.cpuprofile` (V8's format, as `--cpu-prof` writes it): the functions
 * with the most self time, and self time by where the code comes from. Percentages are of
 * the busy samples (`(idle)` left out).
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  seconds: number;
  busyPct: number;
  top: Array<{ fn: string; where: string; selfPct: number }>;
  byOrigin: Array<{ origin: string; selfPct: number }>;
}

const maps = new Map<string, SourceMap | null>();

/**
 * The TypeScript source of a frame in the bundled server, from the bundle's source map
 * (`bench/dist/*.mjs.map`, as the run that wrote the profile built it). Null for code that
 * is not bundled (packages, Node) or when the map is gone.
 */
function originalPosition(url: string, line: number, column: number): { source: string; line: number } | null {
  if (!url.startsWith('file://') || line < 0) return null;
  let map = maps.get(url);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(url, map);
  }
  const entry = map?.findEntry(line, column) as { originalSource?: string; originalLine?: number } | undefined;
  if (entry?.originalSource === undefined || entry.originalLine === undefined) return null;
  return { source: entry.originalSource.replace(/^(\.\.\/)+/, '').replace(/^file:\/\/.*?\/(packages|bench)\//, '$1/'), line: entry.originalLine + 1 };
}

/** Where a frame's code lives, coarsely: a Parley package (and its folder), another package, Node itself, or V8. */
function origin(url: string, name: string, source: string | undefined): string {
  if (source !== undefined) {
    const parley = /^packages\/([^/]+)\/src\/(?:([^/]+)\/)?/.exec(source);
    if (parley !== null) return `@parley/${parley[1]}${parley[2] === undefined ? '' : ` ${parley[2]}/`}`;
    if (source.startsWith('bench/')) return 'bench server harness';
    return source;
  }
  if (url === '') return name.startsWith('(') ? name : 'native / V8 builtins';
  if (url.startsWith('node:')) return 'node: internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) return pkg[1] as string;
  return basename(url);
}

export function summarizeProfile(file: string, topN = 10): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const self = new Map<number, number>();
  if (profile.samples !== undefined && profile.timeDeltas !== undefined) {
    // A sample's time is the gap to the next one.
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas![i + 1] ?? 0)));
  } else {
    for (const node of profile.nodes) self.set(node.id, node.hitCount ?? 0);
  }
  const byFunction = new Map<string, { fn: string; where: string; time: number }>();
  const byOrigin = new Map<string, number>();
  let busy = 0;
  let total = 0;
  for (const node of profile.nodes) {
    const time = self.get(node.id) ?? 0;
    total += time;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busy += time;
    const fn = functionName || '(anonymous)';
    const original = originalPosition(url, lineNumber, columnNumber);
    const where = original !== null ? `${original.source}:${original.line}` : url === '' ? '' : `${url.replace(/^file:\/\/.*\/node_modules\//, '')}:${lineNumber + 1}`;
    const key = `${fn}@${where}`;
    const entry = byFunction.get(key) ?? { fn, where, time: 0 };
    entry.time += time;
    byFunction.set(key, entry);
    const o = origin(url, fn, original?.source);
    byOrigin.set(o, (byOrigin.get(o) ?? 0) + time);
  }
  const pct = (t: number) => (busy === 0 ? 0 : (t / busy) * 100);
  return {
    file,
    seconds: (profile.endTime - profile.startTime) / 1e6,
    busyPct: total === 0 ? 0 : (busy / total) * 100,
    top: [...byFunction.values()].sort((a, b) => b.time - a.time).slice(0, topN).map((e) => ({ fn: e.fn, where: e.where, selfPct: pct(e.time) })),
    byOrigin: [...byOrigin].sort((a, b) => b[1] - a[1]).map(([o, t]) => ({ origin: o, selfPct: pct(t) })),
  };
}

export function formatProfile(summary: ProfileSummary): string {
  const lines = [
    `${relative(process.cwd(), summary.file)}: ${summary.seconds.toFixed(1)} s profiled, busy ${summary.busyPct.toFixed(0)}% of it; shares below are of busy time`,
    '',
    '| # | function (self time) | where | self % |',
    '|---|---|---|---|',
    ...summary.top.map((t, i) => `| ${i + 1} | \`${t.fn}\` | ${t.where} | ${t.selfPct.toFixed(1)} |`),
    '',
    '| code from | self % |',
    '|---|---|',
    ...summary.byOrigin.filter((o) => o.selfPct >= 0.5).map((o) => `| ${o.origin} | ${o.selfPct.toFixed(1)} |`),
  ];
  return lines.join('\n');
}
