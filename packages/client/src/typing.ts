/**
 * Others' typing, with a local expiry: the server sends `user_stopped_typing` when typing
 * ends, but a frame lost with a socket must not leave someone "typing…" forever.
 */
export class TypingTimers {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly ttlMs: number,
    private readonly onExpire: (conversationId: string, userId: string) => void,
  ) {}

  /** (Re)starts the expiry of one user's typing. */
  touch(conversationId: string, userId: string): void {
    const key = `${conversationId}\u0000${userId}`;
    const old = this.timers.get(key);
    if (old !== undefined) clearTimeout(old);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.onExpire(conversationId, userId);
      }, this.ttlMs),
    );
  }

  clear(conversationId: string, userId: string): void {
    const key = `${conversationId}\u0000${userId}`;
    const timer = this.timers.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(key);
  }

  clearAll(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

/** Adds or removes one user in a conversation's typing list; the same array when nothing changes. */
export function typingList(list: readonly string[] | undefined, userId: string, typing: boolean): readonly string[] {
  const current = list ?? [];
  const has = current.includes(userId);
  if (has === typing) return current;
  return typing ? [...current, userId] : current.filter((id) => id !== userId);
}
