import type { ChatStore, OutboxEntry } from '../adapters/chat-store.js';
import type { PresenceStore } from '../adapters/presence-store.js';
import type { Conversation, Message } from '../domain/types.js';
import type { Logger } from '../util/logger.js';
import { inTimeline } from '../adapter-kit/unread.js';
import { PollingJob, retryDelayMs } from '../util/polling-job.js';

/** What the host's notifier receives: one message and the members to push it to. */
export interface Notification {
  message: Message;
  conversation: Conversation;
  /**
   * Members other than the sender who are offline and not muted — or muted but mentioned by
   * name (a mention gets through a mute; `@everyone` does not). For a thread reply kept in its
   * thread: only the thread's followers and those mentioned.
   */
  recipientIds: string[];
  /** Of `recipientIds`, those the message mentions (by name or with `@everyone`): push them as mentions. */
  mentionedIds: string[];
}

/** The host's push hook. Throwing (or rejecting) makes Parley try again later. */
export type Notifier = (notification: Notification) => Promise<void> | void;

export interface NotificationRetryOptions {
  /** How often due retries are looked for. */
  pollIntervalMs: number;
  /** Attempts before an entry is parked as dead. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A claimed entry not finished within this time (a crashed node) is claimed again. */
  leaseMs: number;
  batchSize: number;
}

export const DEFAULT_NOTIFICATION_RETRY: NotificationRetryOptions = {
  pollIntervalMs: 1_000,
  maxAttempts: 8,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  leaseMs: 30_000,
  batchSize: 50,
};

/**
 * Delivers the durable outbox to the host's notifier. Sends write an outbox row in the same
 * transaction as the message, so a crash or a failing notifier loses nothing: rows are
 * claimed with a lease, completed on success, and retried with exponential backoff and
 * jitter on failure, until `maxAttempts` parks them as dead (kept, and logged).
 */
export class NotificationDispatcher {
  private readonly job: PollingJob;

  constructor(
    private readonly store: ChatStore,
    private readonly presence: PresenceStore,
    private readonly notifier: Notifier,
    private readonly options: NotificationRetryOptions,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {
    this.job = new PollingJob(() => this.runOnce(), options.pollIntervalMs, (error) => this.logger.error('notification pass failed', { error: String(error) }));
  }

  start(): void {
    this.job.start({ runNow: true });
  }

  /** Runs a delivery pass soon; passes never overlap, and a kick during one schedules another. */
  kick(): void {
    this.job.kick();
  }

  /** One pass: claims due entries and delivers them. Returns how many were claimed. */
  async runOnce(): Promise<number> {
    const entries = await this.store.claimOutbox(new Date(this.now()).toISOString(), this.options.batchSize, this.options.leaseMs);
    const done: string[] = [];
    for (const entry of entries) {
      try {
        await this.deliver(entry);
        done.push(entry.id);
      } catch (error) {
        await this.retryLater(entry, error);
      }
    }
    if (done.length > 0) await this.store.completeOutbox(done);
    return entries.length;
  }

  /** Waits for the pass in progress, for tests and graceful shutdown. */
  idle(): Promise<void> {
    return this.job.idle();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    const [message, conversation, members] = await Promise.all([
      this.store.getMessage(entry.messageId),
      this.store.getConversation(entry.conversationId),
      this.store.listMembers(entry.conversationId),
    ]);
    if (message === null || conversation === null || message.deletedForEveryone) return;
    const nowIso = new Date(this.now()).toISOString();
    const named = new Set(message.mentions ?? []);
    const mentioned = (userId: string) => message.mentionEveryone === true || named.has(userId);
    // A reply kept in its thread concerns the thread's followers, not the whole conversation.
    const followers = inTimeline(message) ? null : new Set((await this.store.threadReadStates(message.threadId!)).map((s) => s.userId));
    const candidates = members
      .filter((m) => m.userId !== message.senderId)
      .filter((m) => followers === null || followers.has(m.userId) || mentioned(m.userId))
      .filter((m) => !(m.mutedUntil !== null && m.mutedUntil > nowIso) || named.has(m.userId))
      .map((m) => m.userId);
    if (candidates.length === 0) return;
    const online = new Set(await this.onlineAmong(candidates));
    const recipientIds = candidates.filter((id) => !online.has(id));
    if (recipientIds.length === 0) return;
    await this.notifier({ message, conversation, recipientIds, mentionedIds: recipientIds.filter(mentioned) });
  }

  /** With presence down, everyone counts as offline: a push too many beats a push lost. */
  private async onlineAmong(userIds: string[]): Promise<string[]> {
    try {
      return await this.presence.filterOnline(userIds);
    } catch (error) {
      this.logger.warn('presence unavailable; notifying every candidate', { error: String(error) });
      return [];
    }
  }

  private async retryLater(entry: OutboxEntry, error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    if (entry.attempts >= this.options.maxAttempts) {
      this.logger.error('notification dropped to the dead letters after its last attempt', { id: entry.id, attempts: entry.attempts, error: reason });
      await this.store.failOutbox(entry.id, reason, null);
      return;
    }
    const jittered = retryDelayMs(entry.attempts, this.options.baseDelayMs, this.options.maxDelayMs);
    this.logger.warn('notifier failed; will retry', { id: entry.id, attempts: entry.attempts, retryInMs: Math.round(jittered), error: reason });
    await this.store.failOutbox(entry.id, reason, new Date(this.now() + jittered).toISOString());
  }
}
