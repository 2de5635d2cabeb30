import type { AttachmentStore } from '../adapters/attachment-store.js';
import type { ChatStore } from '../adapters/chat-store.js';
import type { Logger } from '../util/logger.js';

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
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly store: ChatStore,
    private readonly storage: AttachmentStore,
    private readonly options: AttachmentPurgeOptions,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  start(): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setInterval(() => this.kick(), this.options.intervalMs);
    this.timer.unref?.();
  }

  /** Runs a pass soon (after a delete for everyone); passes never overlap. */
  kick(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = this.runOnce()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn('attachment purge failed; the next pass retries', { error: String(error) }))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          setImmediate(() => this.kick());
        }
      });
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
      if (due.length < this.options.batchSize || this.stopped) return total;
    }
  }

  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.idle();
  }
}
