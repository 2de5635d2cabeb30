import type { ConversationSeed, LoadPlan, ServerKind } from './ipc.js';

/**
 * What each scenario connects and sends. Every user has one socket; a sender keeps one
 * message in flight (full load) or the whole generator sends at a fixed total rate (paced).
 */

export type ScenarioId =
  | 'direct'
  | 'group20'
  | 'group200'
  | 'groups5x50'
  | 'paced-1k'
  | 'paced-5k'
  | 'paced-25'
  | 'paced-50'
  | 'paced-75'
  | 'idle'
  | 'storm'
  | 'thread10k';

export interface Topology {
  users: string[];
  conversations: Array<{ type: ConversationSeed['type']; members: number[] }>;
  senders: Array<{ user: number; conversation: number }>;
}

/** Sizes that flags (and the correctness test) can shrink. */
export interface Scale {
  pairs: number;
  idleConnections: number;
  stormClients: number;
}

export type LoadSpec = { mode: 'full' } | { mode: 'paced'; rate: number } | { mode: 'paced'; ofRaw: number };

export type Scenario =
  | {
      id: ScenarioId;
      kind: 'load';
      title: string;
      topology: (scale: Scale) => Topology;
      load: LoadSpec;
      durabilities: 'each' | 'first';
      /** Load-generator processes unless --generators says otherwise: 200 recipients of every message keep one generator busy. */
      generators?: number;
    }
  | { id: ScenarioId; kind: 'idle'; title: string; durabilities: 'first' }
  | { id: ScenarioId; kind: 'storm'; title: string; missed: number; servers: ServerKind[]; durabilities: 'first' }
  | { id: ScenarioId; kind: 'paging'; title: string; replies: number; pageSize: number; servers: ServerKind[]; durabilities: 'first' };

const userId = (index: number) => `u${index}`;

/** `pairs` direct conversations; both members send. */
export function directPairs(pairs: number): Topology {
  const users = Array.from({ length: pairs * 2 }, (_, i) => userId(i));
  const conversations = Array.from({ length: pairs }, (_, i) => ({ type: 'direct' as const, members: [2 * i, 2 * i + 1] }));
  const senders = conversations.flatMap((c, conversation) => c.members.map((user) => ({ user, conversation })));
  return { users, conversations, senders };
}

/** `count` groups of `size`; the first `sendersPerGroup` members of each send. */
export function groups(count: number, size: number, sendersPerGroup: number): Topology {
  const users = Array.from({ length: count * size }, (_, i) => userId(i));
  const conversations = Array.from({ length: count }, (_, g) => ({ type: 'group' as const, members: Array.from({ length: size }, (_, m) => g * size + m) }));
  const senders = conversations.flatMap((c, conversation) => c.members.slice(0, sendersPerGroup).map((user) => ({ user, conversation })));
  return { users, conversations, senders };
}

/** Users with no conversation: the idle-connection scenario. */
export function loners(count: number): Topology {
  return { users: Array.from({ length: count }, (_, i) => userId(i)), conversations: [], senders: [] };
}

const direct = (scale: Scale) => directPairs(scale.pairs);
const paced = (id: ScenarioId, title: string, load: LoadSpec): Scenario => ({ id, kind: 'load', title, topology: direct, load, durabilities: 'first' });

export const SCENARIOS: Scenario[] = [
  { id: 'direct', kind: 'load', title: '1-to-1, full load', topology: direct, load: { mode: 'full' }, durabilities: 'each' },
  { id: 'group20', kind: 'load', title: 'group of 20, all send', topology: () => groups(1, 20, 20), load: { mode: 'full' }, durabilities: 'each' },
  { id: 'group200', kind: 'load', title: 'group of 200, 20 send', topology: () => groups(1, 200, 20), load: { mode: 'full' }, durabilities: 'each', generators: 2 },
  { id: 'groups5x50', kind: 'load', title: '50 groups of 5, all send', topology: () => groups(50, 5, 5), load: { mode: 'full' }, durabilities: 'each' },
  paced('paced-1k', '1-to-1 paced 1,000 msg/s', { mode: 'paced', rate: 1_000 }),
  paced('paced-5k', '1-to-1 paced 5,000 msg/s', { mode: 'paced', rate: 5_000 }),
  paced('paced-25', '1-to-1 paced 25% of raw', { mode: 'paced', ofRaw: 0.25 }),
  paced('paced-50', '1-to-1 paced 50% of raw', { mode: 'paced', ofRaw: 0.5 }),
  paced('paced-75', '1-to-1 paced 75% of raw', { mode: 'paced', ofRaw: 0.75 }),
  { id: 'idle', kind: 'idle', title: 'idle connections', durabilities: 'first' },
  { id: 'storm', kind: 'storm', title: 'reconnect storm with sync', missed: 2, servers: ['parley'], durabilities: 'first' },
  { id: 'thread10k', kind: 'paging', title: 'a thread of 10,000 replies paged to its start', replies: 10_000, pageSize: 50, servers: ['parley'], durabilities: 'first' },
];

export const SCENARIO_IDS = SCENARIOS.map((s) => s.id);

export function scenarioById(id: ScenarioId): Scenario {
  const scenario = SCENARIOS.find((s) => s.id === id);
  if (scenario === undefined) throw new Error(`unknown scenario ${id}`);
  return scenario;
}

/**
 * Spreads a topology's users over `count` generator processes. Direct pairs stay together
 * (the reconnect storm needs both ends in one process); group members are dealt out one by
 * one, so a large group's deliveries are shared. Latency stays on one clock either way: the
 * generators time messages with the machine's monotonic clock.
 */
export function splitPlans(
  topology: Topology,
  conversationIds: string[],
  base: Pick<LoadPlan, 'server' | 'port' | 'contentBytes' | 'connectConcurrency'>,
  count: number,
): LoadPlan[] {
  const parts = topology.users.map((_, index) => index % count);
  for (const [index, c] of topology.conversations.entries()) {
    if (c.type === 'direct') for (const member of c.members) parts[member] = index % count;
  }
  const conversations = topology.conversations.map((c, index) => ({ id: conversationIds[index] as string, members: c.members }));
  return Array.from({ length: Math.min(count, topology.users.length) }, (_, part) => ({
    ...base,
    users: topology.users,
    parts,
    part,
    conversations,
    senders: topology.senders,
  }));
}

/** The seeds the server creates: member ids, the first member as creator. */
export function seeds(topology: Topology): ConversationSeed[] {
  return topology.conversations.map((c) => ({ type: c.type, members: c.members.map((i) => topology.users[i] as string) }));
}
