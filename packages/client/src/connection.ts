import { CloseCode, parseServerFrame, type ParsedServerFrame, type ServerEventData } from '@parley/core/protocol';
import { Backoff, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { ClientError } from './errors.js';
import type { Logger } from './logger.js';
import { OPEN, type NetworkMonitor, type OpenableSocket, type WebSocketConstructor } from './socket-types.js';

/**
 * - `connecting`: the first connection is being made;
 * - `open`: connected (the server said `connected`);
 * - `reconnecting`: the socket was lost, a new one is on its way (with backoff);
 * - `offline`: the browser says the network is down; reconnects as soon as it is back;
 * - `closed`: `close()` was called, or the client gave up (see `state.error`).
 */
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed';

export interface ReconnectOptions extends BackoffOptions {
  /** A connection open this long resets the backoff. Default 10 s. */
  stableAfterMs?: number;
  /** Consecutive authentication failures (4401, or `getToken` throwing) before giving up. Default 3. */
  maxAuthFailures?: number;
  /** Least wait after a 4429 (too many connections or frames). Default 5 s. */
  rateLimitedDelayMs?: number;
  /** A socket that has not said `connected` within this is dropped and tried again. Default 15 s. */
  connectTimeoutMs?: number;
}

export interface ConnectionOptions {
  url: string;
  getToken: () => string | Promise<string>;
  WebSocket: WebSocketConstructor;
  network: NetworkMonitor | null;
  reconnect: ReconnectOptions;
  logger: Logger;
}

export interface ConnectionEvents {
  status: ConnectionStatus;
  /** The server accepted the socket. */
  open: ServerEventData['connected'];
  /** The socket is gone (whether or not it had opened). */
  close: { code: number; reason: string };
  frame: ParsedServerFrame;
  /** A frame that does not match the protocol (`frame`: what could be read of it). */
  invalid: { problem: string; frame: { type: string; data: unknown; replyTo?: string | number } | null };
  /** The client stopped trying: repeated authentication failure, or 4403. */
  gave_up: ClientError;
}

/**
 * One logical connection made of successive sockets: it opens a socket with a fresh token
 * (`getToken()` on every attempt, sent as the `bearer.<token>` subprotocol beside `parley`, as
 * browsers must), reconnects with jittered backoff after any loss, follows the network in
 * browsers, and reports status changes. What to do on each frame is the client's business.
 */
export class Connection extends Emitter<ConnectionEvents> {
  status: ConnectionStatus = 'closed';
  /** The last `connection_error` the server sent, if any. */
  lastError: { code: string; message: string } | null = null;
  /** The token the current (or last) socket was opened with, or later refreshed to. */
  token: string | null = null;
  private socket: OpenableSocket | null = null;
  private opened = false;
  private everOpened = false;
  private stopped = true;
  private authFailures = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stableTimer: ReturnType<typeof setTimeout> | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly backoff: Backoff;
  private unsubscribeNetwork: (() => void) | null = null;

  constructor(private readonly options: ConnectionOptions) {
    super((error, event) => options.logger.error('a connection listener threw', { event: String(event), error: String(error) }));
    this.backoff = new Backoff(options.reconnect);
  }

  get isOpen(): boolean {
    return this.opened && this.socket?.readyState === OPEN;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.authFailures = 0;
    this.lastError = null;
    this.unsubscribeNetwork = this.options.network?.subscribe((online) => this.onNetwork(online)) ?? null;
    if (this.options.network !== null && !this.options.network.isOnline()) return this.setStatus('offline');
    void this.connect();
  }

  /** Closes for good (until `start()` again). */
  stop(): void {
    this.stopped = true;
    this.unsubscribeNetwork?.();
    this.unsubscribeNetwork = null;
    this.clearTimers();
    this.discard(1000, 'client closed');
    this.setStatus('closed');
  }

  send(text: string): boolean {
    if (!this.isOpen) return false;
    this.socket!.send(text);
    return true;
  }

  /**
   * Drops the current socket at once (a dead connection: no reply, no pong) and reconnects.
   * The server sees the socket go; whatever it had not answered is resent by the caller.
   */
  drop(reason: string): void {
    if (this.socket === null) return;
    this.options.logger.info('dropping the socket', { reason });
    this.discard(4000, reason);
    this.scheduleReconnect(this.backoff.next());
  }

  /** Tries at once (the network came back, or the app asks). */
  reconnectNow(): void {
    if (this.stopped || this.status === 'offline') return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.socket === null) void this.connect();
  }

  private async connect(): Promise<void> {
    this.timer = null;
    if (this.stopped || this.socket !== null) return;
    this.setStatus(this.everOpened ? 'reconnecting' : 'connecting');
    let token: string;
    try {
      token = await this.options.getToken();
      if (typeof token !== 'string' || token === '') throw new Error('getToken() returned no token');
    } catch (error) {
      this.options.logger.warn('getToken failed', { error: String(error) });
      return this.authFailed(new ClientError('UNAUTHENTICATED', `getToken() failed: ${String(error)}`, undefined, { cause: error }));
    }
    if (this.stopped || this.socket !== null) return;
    this.token = token;
    let socket: OpenableSocket;
    try {
      socket = new this.options.WebSocket(this.options.url, ['parley', `bearer.${token}`]) as OpenableSocket;
    } catch (error) {
      this.options.logger.error('could not create a WebSocket', { error: String(error) });
      return this.scheduleReconnect(this.backoff.next());
    }
    this.socket = socket;
    this.opened = false;
    this.connectTimer = setTimeout(() => this.drop('no connected frame in time'), this.options.reconnect.connectTimeoutMs ?? 15_000);
    socket.onmessage = (event) => {
      if (this.socket === socket) this.receive(event.data);
    };
    socket.onclose = (event) => {
      if (this.socket === socket) this.closed(event.code, event.reason);
    };
    socket.onerror = () => {
      // A close event always follows; it decides what happens next.
    };
  }

  private receive(raw: unknown): void {
    const text = typeof raw === 'string' ? raw : String(raw);
    const result = parseServerFrame(text);
    if (!result.ok) {
      this.options.logger.warn('frame does not match the protocol', { problem: result.problem });
      this.emit('invalid', { problem: result.problem, frame: safeJson(text) });
      return;
    }
    const frame = result.frame;
    if (frame.known && frame.type === 'connected') {
      this.opened = true;
      this.everOpened = true;
      this.authFailures = 0;
      this.lastError = null;
      if (this.connectTimer !== null) clearTimeout(this.connectTimer);
      this.connectTimer = null;
      this.stableTimer = setTimeout(() => this.backoff.reset(), this.options.reconnect.stableAfterMs ?? 10_000);
      this.setStatus('open');
      this.emit('open', frame.data);
      return;
    }
    if (frame.known && frame.type === 'connection_error') this.lastError = frame.data;
    this.emit('frame', frame);
  }

  private closed(code: number, reason: string): void {
    const wasOpen = this.opened;
    this.socket = null;
    this.opened = false;
    this.clearTimers();
    this.emit('close', { code, reason });
    if (this.stopped) return;
    if (code === CloseCode.Unauthorized) {
      return this.authFailed(new ClientError('UNAUTHENTICATED', this.lastError?.message ?? (reason || 'unauthorized')), wasOpen);
    }
    if (code === CloseCode.Forbidden) return this.giveUp(new ClientError('FORBIDDEN', this.lastError?.message ?? (reason || 'forbidden')));
    if (this.options.network !== null && !this.options.network.isOnline()) return this.setStatus('offline');
    const delay = this.backoff.next();
    this.scheduleReconnect(code === CloseCode.TooManyRequests ? Math.max(delay, this.options.reconnect.rateLimitedDelayMs ?? 5_000) : delay);
  }

  /**
   * A refused token: try again at once with a fresh one from `getToken()` (a session that
   * expired while open is the usual case), and give up after several refusals in a row.
   */
  private authFailed(error: ClientError, wasOpen = false): void {
    this.authFailures = wasOpen ? 1 : this.authFailures + 1;
    if (this.authFailures >= (this.options.reconnect.maxAuthFailures ?? 3)) return this.giveUp(error);
    this.scheduleReconnect(this.authFailures === 1 ? 0 : this.backoff.next());
  }

  private giveUp(error: ClientError): void {
    this.options.logger.warn('connection given up', { code: error.code, message: error.message });
    this.stop();
    this.lastError = { code: error.code, message: error.message };
    this.emit('gave_up', error);
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.stopped) return;
    this.setStatus(this.everOpened ? 'reconnecting' : 'connecting');
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), delayMs);
  }

  private onNetwork(online: boolean): void {
    if (this.stopped) return;
    if (!online) {
      // The socket may linger for minutes on a dead network: drop it and wait for the network.
      this.discard(1000, 'network offline');
      this.clearTimers();
      this.setStatus('offline');
      return;
    }
    this.backoff.reset();
    this.setStatus(this.everOpened ? 'reconnecting' : 'connecting');
    this.reconnectNow();
  }

  /** Detaches and closes the current socket; its late events are ignored. */
  private discard(code: number, reason: string): void {
    const socket = this.socket;
    if (socket === null) return;
    this.socket = null;
    const wasOpen = this.opened;
    this.opened = false;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onopen = null;
    socket.onerror = () => {};
    try {
      if (typeof socket.terminate === 'function' && code !== 1000) socket.terminate();
      else socket.close(code === 4000 ? 1000 : code, reason);
    } catch {
      // Closing a socket that never connected may throw in some implementations.
    }
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    if (this.stableTimer !== null) clearTimeout(this.stableTimer);
    this.connectTimer = null;
    this.stableTimer = null;
    this.emit('close', { code, reason: wasOpen ? reason : `${reason} (before connected)` });
  }

  private clearTimers(): void {
    for (const timer of [this.timer, this.stableTimer, this.connectTimer]) if (timer !== null) clearTimeout(timer);
    this.timer = this.stableTimer = this.connectTimer = null;
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.emit('status', status);
  }
}

function safeJson(text: string): { type: string; data: unknown; replyTo?: string | number } | null {
  try {
    const value = JSON.parse(text) as { type?: unknown; data?: unknown; replyTo?: unknown };
    if (typeof value?.type !== 'string') return null;
    const replyTo = typeof value.replyTo === 'string' || typeof value.replyTo === 'number' ? { replyTo: value.replyTo } : {};
    return { type: value.type, data: value.data, ...replyTo };
  } catch {
    return null;
  }
}
