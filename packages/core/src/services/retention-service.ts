import { ChatError } from '../domain/errors.js';
import type { Conversation } from '../domain/types.js';
import { newId } from '../util/ids.js';
import { PollingJob } from '../util/polling-job.js';
import { announceUpdate } from './announcements.js';
import { nowIso, type ServiceContext } from './service-context.js';

export interface RetentionOptions {
  /** Messages older than this many seconds are removed, in conversations without their own retention. Default: none (kept forever). */
  defaultSeconds: number | null;
  /** How often each node tries a pass. Default 10 minutes. */
  intervalMs: number;
  /** Messages removed per store transaction, so a large purge never holds the store for long. Default 500. */
  batchSize: number;
  /** A node that took the job and died: another takes it over after this. Default 2 minutes. */
  leaseMs: number;
}

export const DEFAULT_RETENTION_OPTIONS: RetentionOptions = { defaultSeconds: null, intervalMs: 10 * 60_000, batchSize: 500, leaseMs: 2 * 60_000 };

/** The shortest and longest retention a conversation may have: one minute, a hundred years. */
export const MIN_RETENTION_SECONDS = 60;
export const MAX_RETENTION_SECONDS = 100 * 365 * 24 * 3600;

const JOB = 'retention';

export interface RetentionRun {
  /** False when another node held the job's lease: this node did nothing. */
  ran: boolean;
  removed: number;
  /** Each conversation that lost messages, with the lowest seq left. */
  conversations: Array<{ conversationId: string; removed: number; truncatedBefore: number }>;
}

/**
 * Message retention: a global TTL (`createChatServices({ retention: { defaultSeconds } })`)
 * and a per-conversation one that only the host sets (`setConversationRetention`) — removing
 * history for everyone is an operator's policy, not a member's choice, so no capability
 * grants it. The job runs on every node; a job lease in the store lets one node work at a time
 * and passes to another when that node dies. Each batch is one store transaction
 * (`purgeExpiredMessages`), so senders are never blocked for a whole purge, and a crash
 * between batches leaves nothing half-done: the next pass continues. Members' clients hear
 * `conversation_updated` `history_truncated` with `truncatedBefore`; catch-up carries the same.
 */
export class RetentionService {
  private readonly job: PollingJob;
  /** This node's name for the lease. */
  private readonly holder = `node-${newId()}`;

  constructor(
    private readonly ctx: ServiceContext,
    readonly options: RetentionOptions,
  ) {
    this.job = new PollingJob(() => this.runOnce(), options.intervalMs, (error) => this.ctx.logger.warn('retention pass failed; the next one retries', { error: String(error) }));
  }

  /**
   * Host only: sets the conversation's own retention in seconds (60 s to 100 years), or clears
   * it with null so the global retention applies. Members hear `conversation_updated`
   * `retention_changed`; the next pass applies it.
   */
  async setConversationRetention(conversationId: string, seconds: number | null): Promise<Conversation> {
    if (typeof conversationId !== 'string' || conversationId === '') throw ChatError.validation('conversationId', 'must be a non-empty string');
    if (seconds !== null && (!Number.isInteger(seconds) || seconds < MIN_RETENTION_SECONDS || seconds > MAX_RETENTION_SECONDS)) {
      throw ChatError.validation('retentionSeconds', `must be null or a whole number of seconds from ${MIN_RETENTION_SECONDS} to ${MAX_RETENTION_SECONDS}`);
    }
    const conversation = await this.ctx.store.setConversationRetention(conversationId, seconds);
    if (conversation === null) throw ChatError.notFound('Conversation', 'conversationId');
    const members = await this.ctx.store.listMembers(conversationId);
    announceUpdate(this.ctx, conversationId, 'retention_changed', { retentionSeconds: seconds }, members.map((m) => m.userId), {});
    return conversation;
  }

  /** Starts the periodic job on this node (`createChatServices` does it). */
  start(): void {
    this.job.start({ runNow: false });
  }

  /**
   * One pass now: takes the job lease (or answers `ran: false` when another node holds it),
   * removes what is due batch after batch, renewing the lease between batches, then gives it
   * up.
   */
  async runOnce(): Promise<RetentionRun> {
    const { store } = this.ctx;
    const run: RetentionRun = { ran: false, removed: 0, conversations: [] };
    if (!(await store.acquireJobLease(JOB, this.holder, nowIso(this.ctx), this.options.leaseMs))) return run;
    run.ran = true;
    try {
      for (;;) {
        const purged = await store.purgeExpiredMessages({ now: nowIso(this.ctx), defaultSeconds: this.options.defaultSeconds, limit: this.options.batchSize });
        const removed = purged.reduce((n, p) => n + p.removed, 0);
        run.removed += removed;
        for (const entry of purged) {
          run.conversations.push(entry);
          await this.announce(entry.conversationId, entry.truncatedBefore, entry.removed);
        }
        if (removed > 0) this.ctx.onFilesReleased();
        if (removed < this.options.batchSize || this.job.stopping) break;
        // A long purge keeps the job: renew, and stop if another node took it meanwhile.
        if (!(await store.acquireJobLease(JOB, this.holder, nowIso(this.ctx), this.options.leaseMs))) break;
      }
    } finally {
      await store.releaseJobLease(JOB, this.holder).catch((error: unknown) => this.ctx.logger.warn('could not release the retention lease', { error: String(error) }));
    }
    return run;
  }

  private async announce(conversationId: string, truncatedBefore: number, removed: number): Promise<void> {
    const members = await this.ctx.store.listMembers(conversationId);
    announceUpdate(this.ctx, conversationId, 'history_truncated', { truncatedBefore, removed }, members.map((m) => m.userId), {});
  }

  stop(): Promise<void> {
    return this.job.stop();
  }
}
