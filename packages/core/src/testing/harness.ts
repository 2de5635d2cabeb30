import assert from 'node:assert/strict';
import type { ChatStore } from '../adapters/chat-store.js';
import type { PresenceStore } from '../adapters/presence-store.js';
import { createChatServices, type ChatServices, type ChatServicesOptions } from '../create-chat-services.js';
import { ChatError, type ErrorCode } from '../domain/errors.js';
import type { SendMessageInput } from '../domain/schemas.js';
import type { Message } from '../domain/types.js';
import { createMemoryPresence } from '../memory/memory-presence.js';
import { newId } from '../util/ids.js';

/** The test runner's functions, passed in so the kit works with vitest, jest or node:test. */
export interface ConformanceRunner {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => Promise<void>, timeoutMs?: number) => void;
}

/** A message row as the database holds it, read without the adapter's own read methods. */
export interface RawMessageRow {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  content: string | null;
  attachmentCount: number;
  deletedForEveryone: boolean;
  version: number;
}

/** Raw reads for database adapters, so the kit checks what was actually written. */
export interface StoreInspector {
  messageRow(messageId: string): Promise<RawMessageRow | null>;
  messageRows(conversationId: string): Promise<RawMessageRow[]>;
  memberRow(conversationId: string, userId: string): Promise<{ role: string; lastReadSeq: number } | null>;
  outboxCount(): Promise<number>;
  /** Webhook delivery rows as stored: (event, endpoint) pairs and their status. */
  webhookRows?(): Promise<Array<{ id: string; eventId: string; endpointId: string; status: string; attempts: number }>>;
  reactionCount(messageId: string): Promise<number>;
  /** Rows of a message's edit history (issue 14); optional, so inspectors written before it still fit. */
  editCount?(messageId: string): Promise<number>;
  /** Pin rows of a conversation, expired ones included. */
  pinCount?(conversationId: string): Promise<number>;
}

export interface StoreConformanceOptions extends ConformanceRunner {
  /** A fresh, empty store for each test. */
  createStore: () => ChatStore | Promise<ChatStore>;
  /**
   * `count` store instances over one fresh database (several connections to one SQLite file,
   * several pools on one Postgres schema), as several processes would have. Enables the
   * cases that race them against each other.
   */
  createStores?: (count: number) => ChatStore[] | Promise<ChatStore[]>;
  /** Frees what createStores made (close is called on each store first). */
  destroyStores?: (stores: ChatStore[]) => void | Promise<void>;
  /** Raw row access for the store under test, where it is a database. */
  inspect?: (store: ChatStore) => StoreInspector;
  /** Frees what createStore made (close is called on the store first). */
  destroyStore?: (store: ChatStore) => void | Promise<void>;
}

export interface HarnessSetup extends Partial<Omit<ChatServicesOptions, 'store'>> {
  presence?: PresenceStore;
}

/** A manual clock: every read moves it 1 ms on, so timestamps are distinct and ordered. */
export class TestClock {
  constructor(public ms = Date.UTC(2026, 0, 1)) {}
  now = (): number => (this.ms += 1);
  advance(ms: number): void {
    this.ms += ms;
  }
  iso(offsetMs = 0): string {
    return new Date(this.ms + offsetMs).toISOString();
  }
}

export interface Harness {
  chat: ChatServices;
  store: ChatStore;
  presence: PresenceStore;
  clock: TestClock;
  inspect: StoreInspector | undefined;
  /** Fresh random user ids. */
  users(count: number): string[];
  group(ownerId: string, memberIds: string[], name?: string): Promise<string>;
  direct(a: string, b: string): Promise<string>;
  send(userId: string, conversationId: string, content?: string, extra?: Partial<SendMessageInput>): Promise<Message>;
}

export type CaseFn = (name: string, fn: (h: Harness) => Promise<void>, setup?: HarnessSetup, timeoutMs?: number) => void;

/** Wraps the runner's `it`: each case gets a fresh store and services, closed afterwards. */
export function caseRunner(options: StoreConformanceOptions): CaseFn {
  return (name, fn, setup = {}, timeoutMs) =>
    options.it(name, async () => {
      const store = await options.createStore();
      const clock = new TestClock();
      const presence = setup.presence ?? createMemoryPresence({ now: clock.now });
      const chat = createChatServices({ now: clock.now, ...setup, store, presence });
      const run = newId().slice(0, 8);
      let counter = 0;
      const h: Harness = {
        chat,
        store,
        presence,
        clock,
        inspect: options.inspect?.(store),
        users: (count) => Array.from({ length: count }, () => `u${(counter += 1)}-${run}`),
        group: async (ownerId, memberIds, name = 'Group') =>
          (await chat.conversations.createGroupConversation(ownerId, { name, memberIds })).id,
        direct: async (a, b) => (await chat.conversations.createDirectConversation(a, b)).id,
        send: (userId, conversationId, content = 'hello', extra = {}) =>
          chat.messages.sendMessage(userId, { conversationId, content, ...extra }),
      };
      try {
        await fn(h);
      } finally {
        await chat.close();
        await options.destroyStore?.(store);
      }
    }, timeoutMs);
}

/** Asserts that `promise` rejects with a ChatError of `code`, naming `field` when given. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, field?: string): Promise<ChatError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected ${code}, but the call succeeded`);
  assert.ok(caught instanceof ChatError, `expected a ChatError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`);
  if (field !== undefined) {
    const fields = [caught.details?.field, ...(caught.details?.issues ?? []).map((i) => i.field)];
    assert.ok(fields.includes(field), `expected field ${field} in ${JSON.stringify(caught.details)}`);
  }
  return caught;
}

/** Collects the services' events of one name while `fn` runs. */
export async function collectEvents<K extends keyof import('../services/chat-events.js').ChatEventMap>(
  chat: ChatServices,
  name: K,
  fn: () => Promise<unknown>,
): Promise<Array<import('../services/chat-events.js').ChatEventMap[K][0]>> {
  const seen: Array<import('../services/chat-events.js').ChatEventMap[K][0]> = [];
  const listener = (event: import('../services/chat-events.js').ChatEventMap[K][0]) => seen.push(event);
  chat.events.on(name, listener as never);
  try {
    await fn();
  } finally {
    chat.events.off(name, listener as never);
  }
  return seen;
}

/** Several processes on one database: a store instance and services of their own each. */
export interface RaceHarness {
  stores: ChatStore[];
  /** One services instance per store, each with its own caches, as separate processes have. */
  nodes: ChatServices[];
  clock: TestClock;
  users(count: number): string[];
}

export interface RaceCase {
  name: string;
  /** How many store instances the case needs. */
  instances: number;
  /** Limits the case runs with. */
  limits?: ChatServicesOptions['limits'];
  run(h: RaceHarness): Promise<void>;
}

/** Runs one race case over `count` fresh stores on one database; closes everything afterwards. */
export async function runRaceCase(
  race: RaceCase,
  createStores: (count: number) => ChatStore[] | Promise<ChatStore[]>,
  destroyStores?: (stores: ChatStore[]) => void | Promise<void>,
): Promise<void> {
  const stores = await createStores(race.instances);
  const clock = new TestClock();
  const nodes = stores.map((store) =>
    createChatServices({ store, now: clock.now, ...(race.limits === undefined ? {} : { limits: race.limits }), membershipTtlMs: 3_600_000 }),
  );
  const run = newId().slice(0, 8);
  let counter = 0;
  try {
    await race.run({ stores, nodes, clock, users: (count) => Array.from({ length: count }, () => `r${(counter += 1)}-${run}`) });
  } finally {
    for (const node of nodes) await node.close();
    await destroyStores?.(stores);
  }
}
