import type { Server } from 'node:http';
import type { Database } from 'better-sqlite3';
import type { ConversationSeed, ServerConfig, SqliteDurability, ThreadSeed } from '../ipc.js';
import type { BaselineConversation } from './baseline-db.js';

/** What each server under test implements; `http` is created by the harness so every server is measured the same way. */
export interface BenchServer {
  /** Creates the conversations and returns their ids, in order. Not measured. */
  setup(conversations: ConversationSeed[]): Promise<string[]>;
  /** Parley only: a conversation holding a thread of `replies` replies (the paging scenario). Not measured. */
  seedThread?(replies: number): Promise<ThreadSeed>;
  close(): Promise<void>;
}
export type StartServer = (config: ServerConfig, http: Server) => Promise<BenchServer>;

/** The Origin the load generator sends; Parley checks it against its allow-list. */
export const BENCH_ORIGIN = 'http://bench.localhost';

/** Where each server listens for WebSocket upgrades. */
export const WS_PATH = '/chat';

/**
 * Runs the (unmeasured) setup with `synchronous=OFF`, then puts the run's durability back:
 * creating 2,500 conversations should not take 2,500 fsyncs.
 */
export async function withoutSync<T>(db: Database, durability: SqliteDurability, work: () => Promise<T>): Promise<T> {
  db.pragma('synchronous = OFF');
  try {
    return await work();
  } finally {
    db.pragma(`synchronous = ${durability}`);
  }
}

/** WAL and the run's durability: the pragmas Parley's SQLite adapter sets, for the baselines. */
export function baselinePragmas(db: Database, durability: SqliteDurability): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability}`);
  db.pragma('busy_timeout = 5000');
}

/**
 * The baselines' schema: one row per message, the conversations and members they need.
 * A team's first version, with the index its history query needs.
 */
export const BASELINE_SCHEMA = `
CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, type TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (conversation_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (conversation_id, user_id));
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  sender_id TEXT NOT NULL,
  content TEXT NOT NULL,
  client_message_id TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (conversation_id, seq);
`;

/** In-memory membership the baselines load at setup: who is in which conversation. */
export class Rooms {
  readonly members = new Map<string, string[]>();
  private readonly memberSets = new Map<string, Set<string>>();
  readonly byUser = new Map<string, string[]>();
  readonly seq = new Map<string, number>();

  /** Gives each seed an id and remembers it; the caller stores the result (`BaselineDb.createConversations`). */
  create(seeds: ConversationSeed[], newId: () => string): BaselineConversation[] {
    return seeds.map((seed) => {
      const id = newId();
      for (const user of seed.members) {
        const list = this.byUser.get(user);
        if (list === undefined) this.byUser.set(user, [id]);
        else list.push(id);
      }
      this.members.set(id, [...seed.members]);
      this.memberSets.set(id, new Set(seed.members));
      this.seq.set(id, 0);
      return { id, type: seed.type, members: [...seed.members] };
    });
  }

  isMember(conversationId: string, userId: string): boolean {
    return this.memberSets.get(conversationId)?.has(userId) ?? false;
  }

  /** The next seq of a conversation (kept in memory: one writer process). */
  nextSeq(conversationId: string): number {
    const next = (this.seq.get(conversationId) ?? 0) + 1;
    this.seq.set(conversationId, next);
    return next;
  }
}
