import type { BenchOptions } from '../src/runner.js';

/** A run small enough for a test: one round of half a second, a handful of clients, nothing profiled, never client-bound. */
export function tinyRun(options: Pick<BenchOptions, 'servers' | 'scenarios' | 'durabilities' | 'store' | 'presence'> & Partial<BenchOptions>): BenchOptions {
  return {
    rounds: 1,
    warmupMs: 200,
    durationMs: 500,
    generators: 1,
    scale: { pairs: 4, idleConnections: 10, stormClients: 10 },
    contentBytes: 120,
    profileServers: [],
    profileDir: '',
    clientBoundPct: 100,
    log: () => {},
    ...options,
  };
}
