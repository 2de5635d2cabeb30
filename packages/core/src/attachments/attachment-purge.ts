import type { AttachmentStore } from '../adapters/attachment-store.js';
import type { ChatStore } from '../adapters/chat-store.js';
import type { Logger } from '../util/logger.js';
import { PollingJob } from '../util/polling-job.js';

export interface AttachmentPurgeOptions {
  intervalMs: number;
  /** A node that claimed attachments and died: others take them over after this. */
  leaseMs: number;
  batchSize: number;
}

/**
 * Deletes the bytes of attachments nobody may use any more — uploads never sent past their
 * TTL, files of messages deleted for everyone, of deleted conversations — then their rows.
 * Safe on several nodes: each pass leases what it takes (`claimAttachmentPurge`), so two
 * nodes never delete the same file, and a node dying mid-pass leaves its lease to expire.
 * Bytes go before rows: a crash in between deletes them again, which storage ignores.
 */
export class AttachmentPurge {
  private readonly job: PollingJob;

  constructor(
    private readonly store: ChatStore,
    private readonly storage: AttachmentStore,
    private readonly options: AttachmentPurgeOptions,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {
    this.job = new PollingJob(() => this.runOnce(), options.intervalMs, (error) => this.logger.warn('attachment purge failed; the next pass retries', { error: String(error) }));
  }

  start(): void {
    this.job.start({ runNow: false });
  }

  /** Runs a pass soon (after a delete for everyone); passes never overlap. */
  kick(): void {
    this.job.kick();
  }

  /** Purges everything due now, batch after batch; returns how many were deleted. */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const due = await this.store.claimAttachmentPurge(new Date(this.now()).toISOString(), this.options.batchSize, this.options.leaseMs);
      if (due.length === 0) return total;
      await this.storage.delete(due.map((d) => d.storageKey));
      await this.store.deleteAttachments(due.map((d) => d.id));
      total += due.length;
      if (due.length < this.options.batchSize || this.job.stopping) return total;
    }
  }

  idle(): Promise<void> {
    return this.job.idle();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }
}
