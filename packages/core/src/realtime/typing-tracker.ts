import type { PresenceStore } from '../adapters/presence-store.js';
import type { Logger } from '../util/logger.js';

export type TypingBroadcast = (conversationId: string, userId: string, typing: boolean, exceptSocketId?: string) => void;

/**
 * Typing with a TTL. The presence store holds the state (shared by all nodes); this node
 * keeps one timer per (conversation, user) it saw typing. When the timer fires and the store
 * no longer counts the user as typing (nobody refreshed it, here or on another node), the
 * stop is announced. Sending, `typing_stop` and disconnecting stop typing at once.
 */
export class TypingTracker {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly presence: PresenceStore,
    private readonly ttlMs: number,
    private readonly broadcast: TypingBroadcast,
    private readonly logger: Logger,
  ) {}

  async start(conversationId: string, userId: string, socketId: string): Promise<void> {
    let started = true;
    try {
      started = (await this.presence.setTyping(conversationId, userId, this.ttlMs)).started;
    } catch (error) {
      this.logger.warn('presence unavailable for typing; announcing locally', { error: String(error) });
      started = !this.timers.has(key(conversationId, userId));
    }
    this.arm(conversationId, userId);
    if (started) this.broadcast(conversationId, userId, true, socketId);
  }

  async stop(conversationId: string, userId: string): Promise<void> {
    const wasArmed = this.disarm(conversationId, userId);
    let wasTyping = wasArmed;
    try {
      wasTyping = await this.presence.clearTyping(conversationId, userId);
    } catch (error) {
      this.logger.warn('presence unavailable for typing', { error: String(error) });
    }
    if (wasTyping) this.broadcast(conversationId, userId, false);
  }

  /**
   * A send stops the sender's typing. Only typing this node saw is checked, so a send costs
   * no presence round trip; typing started through another node ends by its TTL.
   */
  async stopOnSend(conversationId: string, userId: string): Promise<void> {
    if (this.timers.has(key(conversationId, userId))) await this.stop(conversationId, userId);
  }

  async stopAll(userId: string): Promise<void> {
    const local: string[] = [];
    for (const k of [...this.timers.keys()]) {
      const [conversationId, user] = split(k);
      if (user === userId) {
        this.disarm(conversationId, userId);
        local.push(conversationId);
      }
    }
    let conversations = local;
    try {
      conversations = await this.presence.clearUserTyping(userId);
    } catch (error) {
      this.logger.warn('presence unavailable for typing', { error: String(error) });
    }
    for (const conversationId of new Set(conversations)) this.broadcast(conversationId, userId, false);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private arm(conversationId: string, userId: string): void {
    this.disarm(conversationId, userId);
    const timer = setTimeout(() => void this.expire(conversationId, userId), this.ttlMs + 25);
    timer.unref?.();
    this.timers.set(key(conversationId, userId), timer);
  }

  private disarm(conversationId: string, userId: string): boolean {
    const k = key(conversationId, userId);
    const timer = this.timers.get(k);
    if (timer === undefined) return false;
    clearTimeout(timer);
    this.timers.delete(k);
    return true;
  }

  private async expire(conversationId: string, userId: string): Promise<void> {
    this.timers.delete(key(conversationId, userId));
    try {
      if ((await this.presence.getTyping(conversationId)).includes(userId)) return;
      await this.presence.clearTyping(conversationId, userId);
    } catch (error) {
      this.logger.warn('presence unavailable for typing expiry', { error: String(error) });
    }
    this.broadcast(conversationId, userId, false);
  }
}

const key = (conversationId: string, userId: string) => `${conversationId}\u0000${userId}`;
const split = (k: string) => k.split('\u0000') as [string, string];
