import type { ServerEventData } from '@parley/core/protocol';
import type { Logger } from './logger.js';

export interface SessionTimerDeps {
  refreshBeforeMs: number;
  heartbeatIntervalMs: number | false;
  getToken: () => string | Promise<string>;
  authenticate(token: string): Promise<ServerEventData['authenticated']>;
  ping(): Promise<unknown>;
  /** The socket now runs on this token (REST calls use it too). */
  onToken(token: string, expiresAt: string | null): void;
  logger: Logger;
}

/**
 * What keeps one open socket alive: a fresh token sent with `authenticate` before the current
 * one expires (the server closes the socket with 4401 at expiry otherwise), and a periodic
 * `ping` whose missing reply (a request timeout) gets the dead socket replaced.
 */
export class SessionTimers {
  private refresh: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private generation = 0;

  constructor(private readonly deps: SessionTimerDeps) {}

  /** A socket opened; `expiresAt` is the token's end (ISO) or null. */
  start(expiresAt: string | null): void {
    this.stop();
    const generation = this.generation;
    this.scheduleRefresh(expiresAt, generation);
    if (this.deps.heartbeatIntervalMs !== false) {
      this.heartbeat = setInterval(() => void this.deps.ping().catch(() => undefined), this.deps.heartbeatIntervalMs);
    }
  }

  stop(): void {
    this.generation += 1;
    if (this.refresh !== null) clearTimeout(this.refresh);
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.refresh = this.heartbeat = null;
  }

  private scheduleRefresh(expiresAt: string | null, generation: number): void {
    if (expiresAt === null) return;
    const left = Date.parse(expiresAt) - Date.now();
    if (!Number.isFinite(left)) return;
    // Refresh `refreshBeforeMs` ahead, but never later than half-way through a short token's life.
    const delay = Math.max(0, left - Math.min(this.deps.refreshBeforeMs, left / 2));
    this.refresh = setTimeout(() => void this.renew(generation, expiresAt), delay);
  }

  private async renew(generation: number, expiresAt: string): Promise<void> {
    this.refresh = null;
    try {
      const token = await this.deps.getToken();
      if (generation !== this.generation) return;
      const reply = await this.deps.authenticate(token);
      if (generation !== this.generation) return;
      this.deps.onToken(token, reply.expiresAt);
      this.scheduleRefresh(reply.expiresAt, generation);
    } catch (error) {
      if (generation !== this.generation) return;
      // Try again half-way to the expiry; past it, the server closes with 4401 and the reconnect takes a fresh token.
      const left = Date.parse(expiresAt) - Date.now();
      this.deps.logger.warn('token refresh failed', { error: String(error), msLeft: left });
      if (left > 2_000) this.refresh = setTimeout(() => void this.renew(generation, expiresAt), left / 2);
    }
  }
}
