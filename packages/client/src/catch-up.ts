import type { ServerEventData } from '@parley/core/protocol';
import { ClientError } from './errors.js';
import type { Logger } from './logger.js';
import type { Cursor } from './state/types.js';

type SyncEntry = ServerEventData['sync_result']['conversations'][string];

export interface CatchUpDeps {
  sync(since: Record<string, Cursor>): Promise<ServerEventData['sync_result']>;
  /** The cursor to catch up from, or null when the conversation is no longer held. */
  cursorOf(conversationId: string): Cursor | null;
  hasGap(conversationId: string): boolean;
  apply(conversationId: string, entry: SyncEntry): void;
  /** The server refused one conversation (no longer a member, usually). */
  refused(conversationId: string, error: ClientError): void;
  logger: Logger;
  /** Conversations per `sync` frame (the server takes 200 by default). */
  batchSize: number;
  /** A seq jump waits this long for the missing messages before asking for them. */
  gapDelayMs: number;
}

/**
 * Catch-up with `sync`: from each conversation's cursors, page after page while `hasMore` or
 * `hasMoreChanges`, batching conversations and running one `sync` at a time. A seq that
 * jumps past the next one expected schedules a fill for that conversation.
 */
export class CatchUp {
  private readonly wanted = new Set<string>();
  private running: Promise<void> | null = null;
  private readonly gapTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly deps: CatchUpDeps) {}

  /** Catches up these conversations; resolves when nothing more is wanted (or the socket went). */
  request(conversationIds: Iterable<string>): Promise<void> {
    for (const id of conversationIds) this.wanted.add(id);
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** A gap was seen: fill it unless the missing messages turn up by themselves first. */
  gap(conversationId: string): void {
    if (this.gapTimers.has(conversationId)) return;
    this.gapTimers.set(
      conversationId,
      setTimeout(() => {
        this.gapTimers.delete(conversationId);
        if (this.deps.hasGap(conversationId)) void this.request([conversationId]);
      }, this.deps.gapDelayMs),
    );
  }

  /** The socket went: whatever was wanted is caught up after the next connect. */
  reset(): void {
    this.wanted.clear();
    for (const timer of this.gapTimers.values()) clearTimeout(timer);
    this.gapTimers.clear();
  }

  get busy(): boolean {
    return this.running !== null;
  }

  private async run(): Promise<void> {
    while (this.wanted.size > 0) {
      const since: Record<string, Cursor> = {};
      for (const id of [...this.wanted].slice(0, this.deps.batchSize)) {
        this.wanted.delete(id);
        const cursor = this.deps.cursorOf(id);
        if (cursor !== null) since[id] = cursor;
      }
      if (Object.keys(since).length === 0) continue;
      let result: ServerEventData['sync_result'];
      try {
        result = await this.deps.sync(since);
      } catch (error) {
        if (error instanceof ClientError && (error.code === 'DISCONNECTED' || error.code === 'TIMEOUT' || error.code === 'CLOSED')) {
          this.wanted.clear();
          return;
        }
        this.deps.logger.warn('sync failed', { error: String(error) });
        this.wanted.clear();
        return;
      }
      for (const [id, entry] of Object.entries(result.conversations)) {
        this.deps.apply(id, entry);
        if (entry.hasMore || entry.hasMoreChanges) this.wanted.add(id);
      }
      for (const [id, payload] of Object.entries(result.errors ?? {})) this.deps.refused(id, ClientError.fromPayload(payload));
    }
  }
}
