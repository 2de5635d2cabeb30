import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import type { HistogramJson } from './stats.js';

/**
 * The messages between the runner and its children (servers and load generators), over
 * Node's IPC channel. Every request carries an `id`; the child answers with the same `id`.
 */

export type ServerKind = 'parley' | 'socketio' | 'raw';
/** SQLite's `synchronous` for a run (all three servers). */
export type SqliteDurability = 'FULL' | 'NORMAL';
/**
 * A run's durability: SQLite's `synchronous`, or `pg` on Postgres, where `--durability` does
 * not apply: every server commits at Postgres's default, `synchronous_commit = on` (the WAL
 * flushed before a commit returns).
 */
export type Durability = SqliteDurability | 'pg';
/** Where the data goes, for all three servers: Parley's store adapter, and the baselines' database. */
export type StoreKind = 'sqlite' | 'postgres';
/** Parley's presence adapter (the baselines keep who is online in memory). */
export type PresenceKind = 'memory' | 'redis';

export interface ServerConfig {
  kind: ServerKind;
  durability: Durability;
  store: StoreKind;
  presence: PresenceKind;
  /** SQLite: a fresh database file for this run. */
  filename: string;
  /** Postgres: the database, and a fresh schema for this run (the runner drops it afterwards). */
  databaseUrl?: string;
  schema?: string;
  /** Redis presence: the server, and a fresh key prefix for this run (the runner deletes its keys afterwards). */
  redisUrl?: string;
  redisPrefix?: string;
}

/** A conversation to create: `members[0]` creates it; user ids are plain strings. */
export interface ConversationSeed {
  type: 'direct' | 'group';
  members: string[];
}

export type ServerRequest =
  | { op: 'setup'; conversations: ConversationSeed[] }
  | { op: 'mark' }
  | { op: 'memory' }
  | { op: 'seedThread'; replies: number }
  | { op: 'stop' };

export interface ServerMark {
  /** process.cpuUsage() of the server process, µs, cumulative. */
  cpuUser: number;
  cpuSystem: number;
  /** Event-loop delay since the previous mark, ms. */
  eldP99: number;
  eldMax: number;
  rss: number;
  heapUsed: number;
  /** Bytes written to every TCP socket of the server so far (frames and their WebSocket headers). */
  bytesOut: number;
}

export type ServerReply =
  | { op: 'listening'; port: number }
  | { op: 'setup'; conversationIds: string[]; ms: number }
  | ({ op: 'mark' } & ServerMark)
  | { op: 'memory'; rss: number; heapUsed: number }
  | ({ op: 'seedThread'; ms: number } & ThreadSeed)
  | { op: 'stopped' }
  | { op: 'error'; message: string };

export interface LoadPlan {
  server: ServerKind;
  port: number;
  /** Every user of the scenario (one socket each)… */
  users: string[];
  /** …and the generator process that connects each: this one connects those equal to `part`. */
  parts: number[];
  part: number;
  /** Conversations: ids and indexes into `users`. */
  conversations: Array<{ id: string; members: number[] }>;
  /** Who sends where: an index into `users` and into `conversations`. */
  senders: Array<{ user: number; conversation: number }>;
  contentBytes: number;
  /** Sockets opening at once while connecting. */
  connectConcurrency: number;
}

export type LoadMode = { mode: 'full' } | { mode: 'paced'; rate: number };

export type GeneratorRequest =
  | { op: 'connect'; plan: LoadPlan }
  | ({ op: 'load' } & LoadMode)
  | { op: 'mark'; phase: 'start' | 'end' }
  | { op: 'drain'; timeoutMs: number }
  | { op: 'totals' }
  | { op: 'report' }
  | { op: 'storm'; missed: number; timeoutMs: number }
  | { op: 'close' };

export interface WindowCounts {
  /** Wall time of the window, ms. */
  ms: number;
  sent: number;
  acked: number;
  delivered: number;
  /** Paced runs: messages due but not sent because a quarter second's worth were unanswered (the server fell behind). */
  skipped: number;
  /** CPU of the generator process over the window, % of one core. */
  cpuPct: number;
}

export interface Correctness {
  sent: number;
  acked: number;
  errors: number;
  expected: number;
  delivered: number;
  duplicates: number;
  outOfOrder: number;
  /** Every send acknowledged, every recipient got each message once and in order (summed over all generators). */
  ok: boolean;
}

/** A conversation with a thread of many replies interleaved with as many timeline messages. */
export interface ThreadSeed {
  conversationId: string;
  threadId: string;
  /** A member, whose token is their id. */
  userId: string;
  replies: number;
  timeline: number;
}

/** Paging a long thread and its conversation to the start, page by page, over REST. */
export interface PagingResult {
  replies: number;
  pageSize: number;
  /** Round trip of one page, ms: the thread's and the conversation timeline's. */
  thread: { pages: number; p50: number; p99: number; max: number; first: number };
  conversation: { pages: number; p50: number; p99: number; max: number; first: number };
  /** Every reply came once, in order, and the timeline held no thread-only reply. */
  ok: boolean;
}

export interface StormResult {
  clients: number;
  /** From the first reconnect until every client had its `sync_result`. */
  ms: number;
  caughtUp: number;
  /** Messages missed while away that came back in `sync_result`, and how many should have. */
  recovered: number;
  expected: number;
  cpuPct: number;
  ok: boolean;
}

export type GeneratorReply =
  | { op: 'connected'; ms: number; failed: number }
  | { op: 'load' }
  | ({ op: 'mark' } & WindowCounts)
  | { op: 'drained' }
  | ({ op: 'totals' } & Omit<Correctness, 'ok'>)
  | { op: 'report'; correctness: Omit<Correctness, 'ok'>; latency: HistogramJson; ackLatency: HistogramJson }
  | ({ op: 'storm' } & StormResult)
  | { op: 'closed' }
  | { op: 'error'; message: string };

type Request = { op: string };
type Reply = { op: string };

/** A forked child and a promise-per-request call on its IPC channel. */
export class Child<Req extends Request, Rep extends Reply> {
  private nextId = 1;
  private pending = new Map<number, { resolve: (r: Rep) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private unsolicited: Rep[] = [];
  private waiters: Array<(r: Rep) => void> = [];
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(readonly process: ChildProcess, readonly name: string) {
    process.on('message', (raw) => {
      const message = raw as Rep & { id?: number };
      const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
      if (waiting !== undefined) {
        this.pending.delete(message.id as number);
        clearTimeout(waiting.timer);
        if (message.op === 'error') waiting.reject(new Error(`${this.name}: ${(message as unknown as { message: string }).message}`));
        else waiting.resolve(message);
        return;
      }
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter(message);
      else this.unsolicited.push(message);
    });
    process.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-8_000);
    });
    this.exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
    void this.exited.then((code) => {
      for (const [, waiting] of this.pending) {
        clearTimeout(waiting.timer);
        waiting.reject(new Error(`${this.name} exited (${code}) while a request was pending${this.stderr ? `; stderr: ${this.stderr}` : ''}`));
      }
      this.pending.clear();
    });
  }

  request<R extends Rep = Rep>(message: Req, timeoutMs = 120_000): Promise<R> {
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: no answer to ${message.op} within ${timeoutMs} ms${this.stderr ? `; stderr: ${this.stderr}` : ''}`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (r: Rep) => void, reject, timer });
      this.process.send({ ...message, id });
    });
  }

  /** The next message the child sends on its own (not an answer). */
  next(timeoutMs = 30_000): Promise<Rep> {
    const ready = this.unsolicited.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} said nothing within ${timeoutMs} ms${this.stderr ? `; stderr: ${this.stderr}` : ''}`)), timeoutMs);
      this.waiters.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
      void this.exited.then((code) => reject(new Error(`${this.name} exited (${code})${this.stderr ? `; stderr: ${this.stderr}` : ''}`)));
    });
  }

  async kill(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    await this.exited;
  }
}

/** Open files the children need: 10,000 sockets and some slack. */
const FD_NEEDED = 12_000;
let fdLimits: { soft: number; hard: number } | undefined;

/** `ulimit -n` as the shell sees it (soft and hard). */
export function fileLimits(): { soft: number; hard: number } {
  if (fdLimits !== undefined) return fdLimits;
  const read = (flag: string) => {
    const out = spawnSync('/bin/sh', ['-c', `ulimit ${flag}n`], { encoding: 'utf8' }).stdout.trim();
    return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out) || 1024;
  };
  fdLimits = { soft: read('-S'), hard: read('-H') };
  return fdLimits;
}

/**
 * Forks a child with an IPC channel. When the open-file limit is below what 10,000 sockets
 * need, the child is started through `sh -c 'ulimit -n <hard>'` (raising the soft limit to
 * the hard one is allowed to any user; nothing system-wide is changed).
 */
export function forkChild(file: string, args: string[], execArgv: string[], name: string): ChildProcess {
  const { soft, hard } = fileLimits();
  const stdio: ['ignore', 'inherit', 'pipe', 'ipc'] = ['ignore', 'inherit', 'pipe', 'ipc'];
  if (soft >= FD_NEEDED || hard <= soft) {
    return fork(file, args, { execArgv, stdio, env: { ...process.env, PARLEY_BENCH_CHILD: name } });
  }
  const target = Number.isFinite(hard) ? String(hard) : 'unlimited';
  return fork(file, args, {
    execPath: '/bin/sh',
    execArgv: ['-c', `ulimit -n ${target} && exec "$0" "$@"`, process.execPath, ...execArgv],
    stdio,
    env: { ...process.env, PARLEY_BENCH_CHILD: name },
  });
}

/** The child side: answers each request with `handler`'s reply, or an `error`. */
export function serveParent<Req extends Request>(handler: (message: Req) => Promise<Reply>): void {
  process.on('message', (raw) => {
    const message = raw as Req & { id: number };
    handler(message).then(
      (reply) => process.send?.({ ...reply, id: message.id }),
      (error: unknown) => process.send?.({ op: 'error', id: message.id, message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

/** A message the child sends on its own. */
export function tellParent<R extends Reply>(message: R): void {
  process.send?.(message);
}
