import type { Message, ServerEventData } from '@parley/core/protocol';
import { ClientError, PERMANENT_SEND_ERRORS } from './errors.js';
import { randomId } from './ids.js';
import type { Logger } from './logger.js';
import type { OutboxEntry } from './state/types.js';
import type { OutboxRecord, OutboxStorage, OutgoingMessage } from './storage/outbox-storage.js';

export interface OutboxDeps {
  storage: OutboxStorage;
  logger: Logger;
  /** Puts one `send_message` on the socket; settles with its reply. */
  send(entry: OutboxEntry): Promise<ServerEventData['message_sent']>;
  canSend(): boolean;
  /** A send had no answer in time: the socket is likely dead. */
  onTimeout(): void;
  onChange(entries: readonly OutboxEntry[]): void;
  /** Largest frame the server takes (default 1 MiB): a larger send fails here, not by closing the socket. */
  maxFrameBytes: number;
}

/** Transient refusals (storage down, an internal error) are tried this often before the send fails. */
const MAX_TRANSIENT_ATTEMPTS = 5;

/**
 * Every send gets a `clientMessageId` and stays here until the server has stored it: unsent
 * and unanswered sends are resent after every reconnect, with the same id, in their original
 * order, pipelined (the server stores one connection's sends in frame order and answers a
 * repeated id with the stored message, creating nothing). Kept in `storage`, so a reload
 * resends them too. A refusal for good makes the send `failed` (retry or discard it);
 * `RATE_LIMITED` pauses the outbox for `retryAfterMs` and then resends by itself.
 */
export class Outbox {
  readonly ready: Promise<void>;
  private entries: OutboxEntry[] = [];
  private readonly waiters = new Map<string, Array<{ resolve(m: Message): void; reject(e: ClientError): void }>>();
  private lastOrder = 0;
  private userId: string | null = null;
  private loaded = false;
  private pausedUntil = 0;
  private resumeTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly retryTimers = new Set<ReturnType<typeof setTimeout>>();
  private io: Promise<void> = Promise.resolve();

  constructor(private readonly deps: OutboxDeps) {
    this.ready = this.load();
  }

  get list(): readonly OutboxEntry[] {
    return this.entries;
  }

  /** Queues a send; the promise settles when the server stored it, or refused it for good. */
  add(conversationId: string, message: OutgoingMessage, clientMessageId: string = randomId()): Promise<Message> {
    const done = this.waitFor(clientMessageId);
    if (this.entries.some((e) => e.clientMessageId === clientMessageId)) return done;
    const now = Date.now();
    this.lastOrder = Math.max(now, this.lastOrder + 1);
    const entry: OutboxEntry = {
      clientMessageId,
      conversationId,
      userId: this.userId,
      message,
      createdAt: new Date(now).toISOString(),
      order: this.lastOrder,
      error: null,
      state: 'queued',
      attempts: 0,
      retryAt: null,
      waitReason: null,
    };
    const bytes = new TextEncoder().encode(JSON.stringify({ type: 'send_message', id: 'c0000000', data: { ...message, conversationId, tempId: clientMessageId } })).length;
    if (bytes > this.deps.maxFrameBytes) {
      entry.state = 'failed';
      entry.error = { code: 'PAYLOAD_TOO_LARGE', message: `The message is ${bytes} bytes as a frame; the server takes at most ${this.deps.maxFrameBytes}`, details: { field: 'content' } };
    }
    this.set([...this.entries, entry]);
    this.persist(entry);
    if (entry.error !== null) this.settle(clientMessageId, ClientError.fromPayload(entry.error as never));
    else this.flush();
    return done;
  }

  /** Resolves when the send is stored (for sends restored after a reload, too). */
  waitFor(clientMessageId: string): Promise<Message> {
    const promise = new Promise<Message>((resolve, reject) => {
      const list = this.waiters.get(clientMessageId) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(clientMessageId, list);
    });
    // A send left unawaited must not become an unhandled rejection: the state shows the failure.
    promise.catch(() => {});
    return promise;
  }

  /** The socket opened as `userId`: sends made before anyone was known become theirs, then everything goes out. */
  opened(userId: string): void {
    this.userId = userId;
    const before = this.entries;
    const adopted = before.map((e) => (e.userId === null ? { ...e, userId } : e));
    this.set(adopted);
    adopted.forEach((e, i) => {
      if (e !== before[i]) this.persist(e);
    });
    this.flush();
  }

  /** Sends every queued entry of this user, in order, without waiting for replies in between. */
  flush(): void {
    if (!this.loaded || !this.deps.canSend() || Date.now() < this.pausedUntil) return;
    for (const entry of this.entries) {
      if (entry.state !== 'queued' || entry.userId !== this.userId) continue;
      this.update(entry.clientMessageId, { state: 'sending', attempts: entry.attempts + 1 });
      const current = this.find(entry.clientMessageId)!;
      this.deps.send(current).then(
        (reply) => this.stored(reply.message),
        (error: unknown) => this.refused(entry.clientMessageId, error instanceof ClientError ? error : new ClientError('PROTOCOL', String(error))),
      );
    }
  }

  /**
   * A stored message seen anywhere (reply, catch-up, another socket): if it is one of ours,
   * it is done. Returns whether it was.
   */
  stored(message: Message): boolean {
    if (message.clientMessageId === null || message.senderId !== this.userId) return false;
    const entry = this.find(message.clientMessageId);
    if (entry === undefined || entry.conversationId !== message.conversationId) return false;
    this.set(this.entries.filter((e) => e !== entry));
    this.write((s) => s.remove(entry.clientMessageId));
    this.settle(entry.clientMessageId, message);
    return true;
  }

  /** Sends a failed entry again. */
  retry(clientMessageId: string): Promise<Message> {
    const entry = this.find(clientMessageId);
    if (entry === undefined) return Promise.reject(new ClientError('NOT_FOUND', `No send ${clientMessageId} in the outbox`));
    const done = this.waitFor(clientMessageId);
    if (entry.state === 'failed') {
      this.update(clientMessageId, { state: 'queued', error: null, attempts: 0, retryAt: null, waitReason: null });
      this.persist(this.find(clientMessageId)!);
      this.flush();
    }
    return done;
  }

  /** Gives a send up (a failed one, usually); its promise rejects with `CLOSED`. */
  discard(clientMessageId: string): boolean {
    const entry = this.find(clientMessageId);
    if (entry === undefined) return false;
    this.set(this.entries.filter((e) => e !== entry));
    this.write((s) => s.remove(clientMessageId));
    this.settle(clientMessageId, new ClientError('CLOSED', 'The send was discarded'));
    return true;
  }

  close(): void {
    if (this.resumeTimer !== null) clearTimeout(this.resumeTimer);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }

  /** Why a send came back unstored decides what happens to it. */
  private refused(clientMessageId: string, error: ClientError): void {
    const entry = this.find(clientMessageId);
    if (entry === undefined || entry.state !== 'sending') return;
    if (error.code === 'DISCONNECTED' || error.code === 'TIMEOUT' || error.code === 'UNAUTHENTICATED' || error.code === 'CLOSED') {
      // Not known to be stored: resent (same id) after the next connect.
      this.update(clientMessageId, { state: 'queued' });
      if (error.code === 'TIMEOUT') this.deps.onTimeout();
      return;
    }
    if (error.code === 'RATE_LIMITED') {
      const wait = error.retryAfterMs ?? 1_000;
      this.update(clientMessageId, { state: 'waiting', retryAt: Date.now() + wait, waitReason: error.code });
      this.pause(wait);
      return;
    }
    if (PERMANENT_SEND_ERRORS.has(error.code) || entry.attempts >= MAX_TRANSIENT_ATTEMPTS) {
      const failure = error.toJSON();
      this.update(clientMessageId, { state: 'failed', error: failure });
      this.persist(this.find(clientMessageId)!);
      this.settle(clientMessageId, error);
      return;
    }
    // UNAVAILABLE (storage down), INTERNAL: try again later, a few times.
    const wait = Math.min(30_000, 500 * 2 ** entry.attempts);
    this.deps.logger.warn('send not stored yet; retrying', { clientMessageId, code: error.code, waitMs: wait });
    this.update(clientMessageId, { state: 'waiting', retryAt: Date.now() + wait, waitReason: error.code });
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (this.find(clientMessageId)?.state === 'waiting') this.update(clientMessageId, { state: 'queued', retryAt: null, waitReason: null });
      this.flush();
    }, wait);
    this.retryTimers.add(timer);
  }

  /** Holds every send back until the rate limit's window has room again, then resends in order. */
  private pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
    if (this.resumeTimer !== null) clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = null;
      this.set(this.entries.map((e) => (e.state === 'waiting' && e.retryAt !== null && e.retryAt <= this.pausedUntil ? { ...e, state: 'queued', retryAt: null, waitReason: null } : e)));
      this.flush();
    }, Math.max(0, this.pausedUntil - Date.now()));
  }

  private async load(): Promise<void> {
    try {
      const records = await this.deps.storage.load();
      const held = new Set(this.entries.map((e) => e.clientMessageId));
      const restored: OutboxEntry[] = records
        .filter((r) => !held.has(r.clientMessageId))
        .map((r) => ({ ...r, state: r.error === null ? 'queued' : 'failed', attempts: 0, retryAt: null, waitReason: null }));
      this.lastOrder = Math.max(this.lastOrder, ...restored.map((r) => r.order));
      this.set([...restored, ...this.entries].sort((a, b) => a.order - b.order));
    } catch (error) {
      this.deps.logger.error('could not load the outbox', { error: String(error) });
    }
    this.loaded = true;
    this.flush();
  }

  private settle(clientMessageId: string, outcome: Message | ClientError): void {
    const list = this.waiters.get(clientMessageId);
    this.waiters.delete(clientMessageId);
    for (const waiter of list ?? []) {
      if (outcome instanceof ClientError) waiter.reject(outcome);
      else waiter.resolve(outcome);
    }
  }

  private find(clientMessageId: string): OutboxEntry | undefined {
    return this.entries.find((e) => e.clientMessageId === clientMessageId);
  }

  private update(clientMessageId: string, patch: Partial<OutboxEntry>): void {
    this.set(this.entries.map((e) => (e.clientMessageId === clientMessageId ? { ...e, ...patch } : e)));
  }

  private set(entries: OutboxEntry[]): void {
    this.entries = entries;
    // Sends another account left in this browser's storage are neither sent nor shown.
    const mine = this.userId === null ? entries : entries.filter((e) => e.userId === null || e.userId === this.userId);
    this.deps.onChange(mine);
  }

  private persist(entry: OutboxEntry): void {
    const record: OutboxRecord = {
      clientMessageId: entry.clientMessageId,
      conversationId: entry.conversationId,
      userId: entry.userId,
      message: entry.message,
      createdAt: entry.createdAt,
      order: entry.order,
      error: entry.error,
    };
    this.write((s) => s.save(record));
  }

  /** Storage operations run one at a time, in the order they were asked for. */
  private write(op: (storage: OutboxStorage) => Promise<void>): void {
    this.io = this.io.then(() => op(this.deps.storage)).catch((error: unknown) => this.deps.logger.error('outbox storage failed', { error: String(error) }));
  }

  /** Resolves once every storage write asked for so far is done. */
  flushed(): Promise<void> {
    return this.io;
  }
}
