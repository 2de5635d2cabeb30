/** setTimeout's longest delay; a later expiry is re-armed when this one fires. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * One expiry timer per socket whose token expires (SPEC §7, "Sessions"): at `expiresAt` the
 * socket is closed unless a fresh token moved the time on first.
 */
export class SessionClock {
  private readonly timers = new Map<string, { timer: ReturnType<typeof setTimeout>; expiresAt: number }>();

  constructor(
    private readonly onExpire: (socketId: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Arms (or re-arms) the socket's timer; a null time means no expiry. */
  set(socketId: string, expiresAt: string | null): void {
    this.clear(socketId);
    if (expiresAt === null) return;
    const at = Date.parse(expiresAt);
    const timer = setTimeout(() => this.fire(socketId), Math.min(MAX_DELAY, Math.max(0, at - this.now())));
    timer.unref?.();
    this.timers.set(socketId, { timer, expiresAt: at });
  }

  clear(socketId: string): void {
    const entry = this.timers.get(socketId);
    if (entry !== undefined) clearTimeout(entry.timer);
    this.timers.delete(socketId);
  }

  close(): void {
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private fire(socketId: string): void {
    const entry = this.timers.get(socketId);
    if (entry === undefined) return;
    if (entry.expiresAt > this.now()) return this.set(socketId, new Date(entry.expiresAt).toISOString());
    this.timers.delete(socketId);
    this.onExpire(socketId);
  }
}

/** A user's `expiresAt` as given by the host (ISO text, a Date, or epoch ms) in ISO form, or null. */
export function normalizeExpiry(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(String(value));
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}
