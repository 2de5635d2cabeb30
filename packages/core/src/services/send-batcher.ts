import type { ChatStore, InsertResult, NewMessage } from '../adapters/chat-store.js';

interface Pending {
  input: NewMessage;
  resolve: (result: InsertResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for sends: every send of one event-loop turn goes to the store in one
 * `insertMessages` call (one transaction), and only one such call is in flight at a time, so
 * sends are stored in the order they were made and `seq` follows that order. Should a batch
 * fail, its sends are retried one by one, so one bad send never fails its neighbours.
 */
export class SendBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly store: ChatStore,
    private readonly maxBatch = 1024,
  ) {}

  insert(input: NewMessage): Promise<InsertResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything queued so far is stored (or failed). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight !== null || this.scheduled) {
      await (this.inFlight ?? new Promise((r) => setImmediate(r)));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight !== null) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.inFlight = this.flush().finally(() => {
        this.inFlight = null;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.store.insertMessages(batch.map((p) => p.input));
        batch.forEach((p, i) => p.resolve(results[i]!));
      } catch (error) {
        if (batch.length === 1) batch[0]!.reject(error);
        else await this.oneByOne(batch);
      }
    }
  }

  private async oneByOne(batch: Pending[]): Promise<void> {
    for (const pending of batch) {
      try {
        const [result] = await this.store.insertMessages([pending.input]);
        pending.resolve(result!);
      } catch (error) {
        pending.reject(error);
      }
    }
  }
}
