import { EventEmitter } from 'eventemitter3';
import type { Broker, BrokerEnvelope, BrokerTarget } from '../adapters/broker.js';
import type { ChatServices } from '../create-chat-services.js';
import { ChatError, type ErrorCode } from '../domain/errors.js';
import type { ChatUser, Message } from '../domain/types.js';
import { validate } from '../domain/validate.js';
import { newId } from '../util/ids.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { SlidingWindow } from '../util/sliding-window.js';
import { ClusterLink, type ResyncReason, type ResyncScope } from './cluster-link.js';
import { frameHandlers, type HandlerContext } from './frame-handlers.js';
import { FrameSequencer } from './frame-sequencer.js';
import { LocalDelivery, sendRaw } from './local-delivery.js';
import { PresenceKeeper } from './presence-keeper.js';
import { readClientFrame } from './client-frame.js';
import type { HubMeter } from './hub-meter.js';
import { CLIENT_EVENTS, clientEventSchemas, CloseCode, SUCCESS_REPLIES, type ClientEvent, type ServerFrame } from './protocol.js';
import { MEMBERSHIP_CHANGED, THREAD_READ, routeServiceEvents } from './service-event-routes.js';
import { normalizeExpiry, SessionClock } from './session-clock.js';
import { SocketRegistry, type LocalSocket, type SocketLike } from './socket-registry.js';
import { TypingTracker } from './typing-tracker.js';
import { UnreadPushes } from './unread-pushes.js';

export type { ResyncReason } from './cluster-link.js';

export interface RealtimeHubOptions {
  services: ChatServices;
  /** Cross-node fan-out; without one the hub serves a single node. */
  broker?: Broker;
  /** This node's id in broker envelopes and presence. Default: random. */
  nodeId?: string;
  logger?: Logger;
  /** Typing expires this long after the last `typing_start`. Default 10 s. */
  typingTtlMs?: number;
  /**
   * Frames per connection per window (default 120 per 60 s, in this process) and per user
   * across sockets and nodes (default 300 per 60 s, through the services' rate limiter);
   * typing events per user (5 per 5 s). A connection that keeps sending past its budget — more
   * refused frames than its budget within one window — is closed with 4429.
   */
  rateLimits?: Partial<{ frames: number; frameWindowMs: number; userFrames: number; typing: number; typingWindowMs: number }>;
  /**
   * `unread_changed` pushes are coalesced: at most one per user and conversation per this
   * many ms. Default 100 ms.
   */
  unreadPushDelayMs?: number;
  /**
   * Unread counts are read from the store once per connected user and then kept in step with
   * the messages going by; every other change (a read, a delete, a membership change) reads
   * them again. After this many ms they are read again anyway, which bounds how long a change
   * no event announces can go unseen. Default 30,000.
   */
  unreadCountsMaxAgeMs?: number;
  /** Conversations one `sync` frame may name. Default 200. */
  maxSyncConversations?: number;
  /**
   * How often this node tells presence it is alive (default 15 s); a silent node's sockets stop
   * counting after `nodeTtlMs` (default 45 s) and its users are announced offline by the next
   * sweep, so within 60 s of a crash.
   */
  heartbeatIntervalMs?: number;
  nodeTtlMs?: number;
  /** Retry delays of the broker subscription while the broker is unreachable. Default 250 ms, doubling to 30 s. */
  brokerRetry?: { initialDelayMs?: number; maxDelayMs?: number };
  /**
   * Conversation changes are delivered in version order (SPEC §7); a change whose predecessor
   * has not arrived waits at most `gapMs`. Default: on, 250 ms, when there is a broker (several
   * nodes); off on a single node, whose own events already come in order.
   */
  eventOrder?: { gapMs: number } | false;
}

/** Events for the host: metrics, logs, audit. */
export interface HubEventMap {
  connected: [{ socketId: string; userId: string }];
  disconnected: [{ socketId: string; userId: string }];
  frame_in: [{ socketId: string; type: string }];
  frame_out: [{ type: string; sockets: number }];
  frame_error: [{ type: string; code: ErrorCode }];
  /** A client frame was answered; `code` is set when the answer was an error. */
  frame_handled: [{ type: string; durationMs: number; code?: ErrorCode }];
  user_online: [{ userId: string }];
  user_offline: [{ userId: string }];
  /** Local sockets were told to catch up: events may have been missed. */
  resync: [{ reason: ResyncReason; sockets: number }];
}

export interface ConnectionOptions {
  /** Verifies a fresh token sent on the open socket (`authenticate { token }`). */
  reauthenticate?: (token: string) => Promise<ChatUser | null>;
}

export interface ConnectionHandle {
  socketId: string;
  /** Handles one text frame. Never throws: every failure becomes an `error` frame. */
  handleFrame(raw: string): Promise<void>;
  handleClose(): Promise<void>;
  /** Takes no new frame and resolves once every frame taken has been answered. */
  drain(): Promise<void>;
}

export interface HubHealth {
  status: 'healthy' | 'degraded' | 'unhealthy';
  storage: boolean;
  presence: boolean;
  broker: boolean;
  nodeId: string;
  connections: number;
}

/** Internal envelope: close every socket of a user, on every node (sign-out, ban). */
const HUB_DISCONNECT = 'hub:disconnect';

const noopHandle = (socketId: string): ConnectionHandle => ({
  socketId,
  handleFrame: async () => {},
  handleClose: async () => {},
  drain: async () => {},
});

/**
 * The transport-agnostic realtime core (SPEC §5). A transport authenticates a socket and
 * calls `handleConnection(socketLike, user)`; the hub answers frames in each connection's
 * order, routes the services' events to every member's sockets on every node, and keeps
 * presence, typing and session expiry.
 */
export class RealtimeHub extends EventEmitter<HubEventMap> {
  readonly nodeId: string;
  private readonly services: ChatServices;
  private readonly logger: Logger;
  private readonly registry = new SocketRegistry();
  private readonly typing: TypingTracker;
  private readonly cluster: ClusterLink;
  private readonly delivery: LocalDelivery;
  private readonly presence: PresenceKeeper;
  private readonly sessions: SessionClock;
  private readonly unread: UnreadPushes;
  /** Frames per connection: a budget of this node's, so in-process. */
  private readonly frameWindow = new SlidingWindow();
  /** Refused frames per connection, to tell a burst from abuse. */
  private readonly refusedWindow = new SlidingWindow();
  private readonly limits: { frames: number; frameWindowMs: number; userFrames: number; typing: number; typingWindowMs: number };
  private readonly maxSyncConversations: number;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private readonly detach: Array<() => void> = [];
  private readonly sequencers = new Map<string, FrameSequencer>();
  /** What handlers get for a connection, built once when it connects (each frame adds its `origin`). */
  private readonly contexts = new Map<string, Omit<HandlerContext, 'origin'>>();
  private readonly meters: HubMeter[] = [];
  private readonly clientEvents = new Set<string>(CLIENT_EVENTS);
  private closed = false;

  constructor(options: RealtimeHubOptions) {
    super();
    this.services = options.services;
    this.logger = options.logger ?? silentLogger;
    this.nodeId = options.nodeId ?? `node-${newId()}`;
    this.limits = { frames: 120, frameWindowMs: 60_000, userFrames: 300, typing: 5, typingWindowMs: 5_000, ...options.rateLimits };
    this.maxSyncConversations = options.maxSyncConversations ?? 200;
    this.typing = new TypingTracker(
      this.services.presence,
      options.typingTtlMs ?? 10_000,
      (conversationId, userId, typing, exceptSocketId) =>
        this.toRoom(conversationId, typing ? 'user_typing' : 'user_stopped_typing', { conversationId, userId }, exceptSocketId),
      this.logger,
    );
    this.cluster = new ClusterLink(
      options.broker,
      this.nodeId,
      { receive: (envelope) => this.receive(envelope), resync: (reason, scope) => void this.resync(reason, scope) },
      this.logger,
      { initialDelayMs: 250, maxDelayMs: 30_000, ...options.brokerRetry },
    );
    this.delivery = new LocalDelivery(
      this.registry,
      this.services.membership,
      this.logger,
      options.eventOrder ?? (options.broker === undefined ? false : { gapMs: 250 }),
      (type, sockets) => this.countOut(type, sockets),
    );
    this.presence = new PresenceKeeper(this.services.presence, this.registry, this.nodeId, options.nodeTtlMs ?? 45_000, this.logger, (userId, online) =>
      this.announcePresence(userId, online),
    );
    this.sessions = new SessionClock((socketId) => this.expire(socketId));
    this.unread = new UnreadPushes(this.services.store, this.registry, this.services.membership, (userId, frame) => {
      for (const entry of this.registry.userSockets(userId)) sendRaw(entry.socket, frame);
    }, this.logger, options.unreadPushDelayMs ?? 100, options.unreadCountsMaxAgeMs ?? 30_000);
    this.heartbeat = setInterval(() => void this.beat(), options.heartbeatIntervalMs ?? 15_000);
    this.heartbeat.unref?.();
    this.detach.push(
      routeServiceEvents(this.services, {
        route: (event, target, data, order) => this.route(event, target, data, order),
        publish: (envelope) => this.cluster.publish(envelope),
        evict: (userId, conversationId) => this.registry.evict(userId, conversationId),
        stopTypingOnSend: (conversationId, userId) => void this.typing.stopOnSend(conversationId, userId),
        nodeId: this.nodeId,
      }),
    );
    // Local sockets are served at once; presence and the broker catch up in the background.
    void this.beat();
    this.cluster.start();
  }

  /** Registers an authenticated socket; sends `connected` and announces the user online. */
  async handleConnection(socket: SocketLike, user: ChatUser, options: ConnectionOptions = {}): Promise<ConnectionHandle> {
    const socketId = newId();
    if (this.closed) {
      socket.close(CloseCode.GoingAway, 'server shutting down');
      return noopHandle(socketId);
    }
    if (user.status !== 'active') {
      send(socket, { type: 'connection_error', data: { code: 'FORBIDDEN', message: `User ${user.id} is not active` } });
      socket.close(CloseCode.Unauthorized, 'user not active');
      return noopHandle(socketId);
    }
    const entry: LocalSocket = { id: socketId, userId: user.id, socket, rooms: new Set() };
    if (options.reauthenticate !== undefined) entry.reauthenticate = options.reauthenticate;
    const expiresAt = normalizeExpiry(user.expiresAt);
    this.registry.add(entry);
    const sequencer = new FrameSequencer();
    this.sequencers.set(socketId, sequencer);
    this.contexts.set(socketId, this.handlerContext(entry));
    this.sessions.set(socketId, expiresAt);
    send(socket, { type: 'connected', data: { userId: user.id, socketId, serverTime: new Date().toISOString(), expiresAt } });
    this.emit('connected', { socketId, userId: user.id });
    await this.presence.added(entry);
    let closed = false;
    return {
      socketId,
      handleFrame: (raw) => this.handleFrame(entry, raw),
      handleClose: async () => {
        if (closed) return;
        closed = true;
        await this.disconnect(entry);
      },
      drain: async () => {
        entry.draining = true;
        await sequencer.idle();
      },
    };
  }

  /**
   * Counts frames in, out, failed and handled straight into `meter` (metrics), with no event
   * per frame. Returns the function that stops it.
   */
  addMeter(meter: HubMeter): () => void {
    this.meters.push(meter);
    return () => {
      const at = this.meters.indexOf(meter);
      if (at >= 0) this.meters.splice(at, 1);
    };
  }

  /** Sends `conversation_updated` to every member's sockets (seed: notifyConversationUpdate). */
  async notifyConversationUpdate(conversationId: string, updateType: string, data: Record<string, unknown> = {}): Promise<void> {
    this.route('conversation_updated', { kind: 'members', conversationId }, { conversationId, updateType, data });
  }

  /** Sends any event to every socket of one user, on any node. */
  notifyUser(userId: string, event: string, data: unknown): void {
    this.route(event, { kind: 'users', userIds: [userId] }, data);
  }

  /**
   * Closes every socket of a user on every node (sign-out, ban): `connection_error` with the
   * reason, then close `code` (default 4401). Their clients should not reconnect with the
   * same token.
   */
  disconnectUser(userId: string, options: { code?: number; reason?: string } = {}): void {
    const data = { userId, code: options.code ?? CloseCode.Unauthorized, reason: options.reason ?? 'signed out' };
    this.closeUserSockets(data);
    this.cluster.publish({ origin: this.nodeId, event: HUB_DISCONNECT, target: { kind: 'nodes' }, data });
  }

  async isUserOnline(userId: string): Promise<boolean> {
    try {
      return await this.services.presence.isOnline(userId);
    } catch {
      return this.registry.socketCount(userId) > 0;
    }
  }

  async getOnlineUsers(): Promise<string[]> {
    try {
      return await this.services.presence.getOnlineUsers();
    } catch {
      return this.registry.userIds();
    }
  }

  async getOnlineUsersInConversation(conversationId: string): Promise<string[]> {
    const members = await this.services.membership.memberIds(conversationId);
    try {
      return await this.services.presence.filterOnline(members);
    } catch {
      return members.filter((id) => this.registry.socketCount(id) > 0);
    }
  }

  /** Posts a system message, delivered like any message. */
  async broadcastSystemMessage(conversationId: string, content: string, fromUserId?: string): Promise<Message> {
    return this.services.messages.sendSystemMessage(conversationId, content, fromUserId);
  }

  /**
   * `unhealthy` when the store does not answer or its writes keep failing (a full disk still
   * answers pings); `degraded` when presence or the broker is down — chat still works on
   * this node (SPEC §6).
   */
  async healthCheck(): Promise<HubHealth> {
    const probe = async (check: () => Promise<unknown>) => {
      try {
        return (await check()) !== false;
      } catch {
        return false;
      }
    };
    const [storage, presence, broker] = await Promise.all([
      probe(async () => (await this.services.storeHealth()).healthy),
      probe(() => this.services.presence.healthCheck()),
      probe(() => this.cluster.healthy()),
    ]);
    const status = !storage ? 'unhealthy' : presence && broker ? 'healthy' : 'degraded';
    return { status, storage, presence, broker, nodeId: this.nodeId, connections: this.registry.size };
  }

  /** How many sockets the user has open on all nodes (this node's, when presence is down). */
  async countUserSockets(userId: string): Promise<number> {
    try {
      return (await this.services.presence.getUserSockets(userId)).length;
    } catch {
      return this.registry.socketCount(userId);
    }
  }

  get connectionCount(): number {
    return this.registry.size;
  }

  /** Stops timers and the broker subscription, and lets go of every socket (announced offline). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const off of this.detach) off();
    this.typing.close();
    this.sessions.close();
    this.unread.close();
    this.delivery.close();
    await Promise.all([...this.registry.all()].map((entry) => this.disconnect(entry)));
    await this.presence.leave();
    await this.cluster.close();
  }

  private async beat(): Promise<void> {
    this.cluster.retryMissed();
    await this.presence.beat();
  }

  /** Tells local sockets in `scope` to catch up from their cursors. */
  private async resync(reason: ResyncReason, scope: ResyncScope): Promise<void> {
    let targets: Iterable<LocalSocket>;
    if (scope.all === true) {
      // Membership changes may have been missed too.
      this.services.membership.clear();
      targets = [...this.registry.all()];
    } else {
      const lists = await Promise.all(scope.conversationIds.map((id) => this.services.membership.memberIds(id).catch(() => [] as string[])));
      targets = new Set([...scope.userIds, ...lists.flat()].flatMap((id) => [...this.registry.userSockets(id)]));
    }
    // Unread counts kept in step may have missed messages too: read them again.
    this.unread.forgetAll();
    const frame = JSON.stringify({ type: 'resync', data: { reason } });
    let sockets = 0;
    for (const entry of targets) {
      sendRaw(entry.socket, frame);
      sockets += 1;
    }
    this.logger.info('sockets told to resync', { reason, sockets });
    this.emit('resync', { reason, sockets });
  }

  /**
   * One text frame: parsed and counted against the rate limit on arrival, then handled in
   * the connection's order (see FrameSequencer) and answered in that order.
   */
  private handleFrame(entry: LocalSocket, raw: string): Promise<void> {
    const sequencer = this.sequencers.get(entry.id);
    if (sequencer === undefined || entry.draining === true) return Promise.resolve();
    const started = performance.now();
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    const candidate = parsed as { id?: unknown; type?: unknown } | null | undefined;
    const replyTo = typeof candidate?.id === 'string' || typeof candidate?.id === 'number' ? candidate.id : undefined;
    let refused: unknown = null;
    try {
      this.limitFrames(entry);
    } catch (error) {
      refused = error;
    }
    const pipelined = refused === null && candidate?.type === 'send_message';
    return sequencer.schedule(pipelined, async (markOrdered) => {
      let type = 'unknown';
      try {
        if (refused !== null) throw refused;
        if (parsed === undefined) throw ChatError.validation('frame', 'is not valid JSON');
        const frame = readClientFrame(parsed);
        // Counted under its name only when it is an event: a client cannot mint metric labels.
        type = this.clientEvents.has(frame.type) ? frame.type : 'unknown';
        this.countIn(entry, type);
        if (type === 'unknown') {
          throw ChatError.validation('type', `unknown event "${frame.type.slice(0, 64)}"; expected one of ${CLIENT_EVENTS.join(', ')}`);
        }
        await this.services.rateLimits.consume(`frames:${entry.userId}`, { limit: this.limits.userFrames, windowMs: this.limits.frameWindowMs }, 'frames');
        const event = frame.type as ClientEvent;
        const data = this.eventData(event, frame.data ?? {});
        const handler = frameHandlers[event] as (ctx: HandlerContext, data: unknown) => Promise<unknown>;
        const result = await handler({ ...this.contexts.get(entry.id)!, origin: { socketId: entry.id, onQueued: markOrdered } }, data);
        return () => {
          this.reply(entry, SUCCESS_REPLIES[event], result, replyTo);
          this.countHandled(type, performance.now() - started);
        };
      } catch (error) {
        const chatError = toChatError(error, this.logger);
        return () => {
          this.countError(type, chatError.code);
          this.reply(entry, 'error', chatError.toJSON(), replyTo);
          this.countHandled(type, performance.now() - started, chatError.code);
        };
      }
    });
  }

  /**
   * An event's `data`, validated once. A send's fields are all checked by the message
   * service's schema (its `tempId` as the `clientMessageId` it becomes, see the handler), so a
   * send is not parsed twice — unless it names both ids, when `tempId` is only echoed back and
   * must be checked here.
   */
  private eventData(event: ClientEvent, data: unknown): unknown {
    if (event === 'send_message' && typeof data === 'object' && data !== null && !Array.isArray(data)) {
      const { tempId, clientMessageId } = data as { tempId?: unknown; clientMessageId?: unknown };
      if (tempId === undefined || clientMessageId === undefined) return data;
    }
    return validate(clientEventSchemas[event], data, 'data');
  }

  private countIn(entry: LocalSocket, type: string): void {
    for (const meter of this.meters) meter.frameIn(type);
    if (this.listenerCount('frame_in') > 0) this.emit('frame_in', { socketId: entry.id, type });
  }

  private countOut(type: string, sockets: number): void {
    for (const meter of this.meters) meter.frameOut(type, sockets);
    if (this.listenerCount('frame_out') > 0) this.emit('frame_out', { type, sockets });
  }

  private countError(type: string, code: ErrorCode): void {
    for (const meter of this.meters) meter.frameError(type, code);
    if (this.listenerCount('frame_error') > 0) this.emit('frame_error', { type, code });
  }

  private countHandled(type: string, durationMs: number, code?: ErrorCode): void {
    for (const meter of this.meters) meter.frameHandled(type, durationMs, code);
    if (this.listenerCount('frame_handled') > 0) this.emit('frame_handled', code === undefined ? { type, durationMs } : { type, durationMs, code });
  }

  /**
   * The connection's frame budget. Going over it now and then is answered RATE_LIMITED; a
   * connection refused more often than its whole budget within one window is abusing it and
   * is closed with 4429. The count slides with the window, so a long-lived client that is one
   * frame over in separate bursts is never closed for it.
   */
  private limitFrames(entry: LocalSocket): void {
    const retryAfterMs = this.frameWindow.hit(entry.id, this.limits.frames, this.limits.frameWindowMs);
    if (retryAfterMs === 0) return;
    if (this.refusedWindow.hit(entry.id, this.limits.frames, this.limits.frameWindowMs) > 0) {
      entry.socket.close(CloseCode.TooManyRequests, 'too many frames');
    }
    throw new ChatError('RATE_LIMITED', `Too many frames: at most ${this.limits.frames} per ${this.limits.frameWindowMs / 1000} s`, { retryAfterMs });
  }

  private handlerContext(entry: LocalSocket): Omit<HandlerContext, 'origin'> {
    return {
      services: this.services,
      registry: this.registry,
      typing: this.typing,
      typingRule: { limit: this.limits.typing, windowMs: this.limits.typingWindowMs },
      maxSyncConversations: this.maxSyncConversations,
      toRoom: (conversationId, event, data, exceptSocketId) => this.toRoom(conversationId, event, data, exceptSocketId),
      reauthenticate: (token) => this.reauthenticate(entry, token),
      refreshUnread: (conversationId) => {
        this.unread.recount(conversationId, [entry.userId]);
        this.unread.touchFollowedThreads(conversationId, entry.userId);
      },
      userId: entry.userId,
      socketId: entry.id,
    };
  }

  /** `authenticate { token }`: a fresh token of the same user moves the session's end on. */
  private async reauthenticate(entry: LocalSocket, token: string): Promise<{ expiresAt: string | null }> {
    if (entry.reauthenticate === undefined) throw ChatError.forbidden('This connection cannot take a new token');
    let user: ChatUser | null;
    try {
      user = await entry.reauthenticate(token);
    } catch (error) {
      if (error instanceof ChatError && error.code !== 'UNAUTHENTICATED') throw error;
      throw new ChatError('UNAUTHENTICATED', 'Invalid token', { field: 'token' });
    }
    if (user === null || user === undefined) throw new ChatError('UNAUTHENTICATED', 'Invalid token', { field: 'token' });
    if (user.id !== entry.userId) throw new ChatError('FORBIDDEN', 'The token is for another user', { field: 'token' });
    if (user.status !== 'active') {
      this.closeSocket(entry, 'FORBIDDEN', `User ${user.id} is not active`, CloseCode.Unauthorized);
      throw new ChatError('FORBIDDEN', `User ${user.id} is not active`);
    }
    const expiresAt = normalizeExpiry(user.expiresAt);
    this.sessions.set(entry.id, expiresAt);
    return { expiresAt };
  }

  private expire(socketId: string): void {
    const entry = this.registry.get(socketId);
    if (entry !== undefined) this.closeSocket(entry, 'UNAUTHENTICATED', 'Session expired: reconnect with a fresh token', CloseCode.Unauthorized);
  }

  private closeSocket(entry: LocalSocket, code: ErrorCode, message: string, closeCode: number): void {
    send(entry.socket, { type: 'connection_error', data: { code, message } });
    entry.socket.close(closeCode, message.slice(0, 100));
  }

  private closeUserSockets({ userId, code, reason }: { userId: string; code: number; reason: string }): void {
    for (const entry of [...this.registry.userSockets(userId)]) this.closeSocket(entry, 'UNAUTHENTICATED', reason, code);
  }

  private reply(entry: LocalSocket, type: string, data: unknown, replyTo: string | number | undefined): void {
    send(entry.socket, replyTo === undefined ? { type, data } : { type, data, replyTo });
    this.countOut(type, 1);
  }

  private async disconnect(entry: LocalSocket): Promise<void> {
    if (this.registry.remove(entry.id) === undefined) return;
    this.frameWindow.forget(entry.id);
    this.refusedWindow.forget(entry.id);
    this.sequencers.delete(entry.id);
    this.contexts.delete(entry.id);
    this.sessions.clear(entry.id);
    this.emit('disconnected', { socketId: entry.id, userId: entry.userId });
    await this.typing.stopAll(entry.userId);
    await this.presence.removed(entry);
  }

  /** `user_online` / `user_offline` to everyone who shares a conversation with the user. */
  private async announcePresence(userId: string, online: boolean): Promise<void> {
    this.emit(online ? 'user_online' : 'user_offline', { userId });
    try {
      const contacts = await this.services.conversations.getContacts(userId);
      if (contacts.length === 0) return;
      this.route(online ? 'user_online' : 'user_offline', { kind: 'users', userIds: contacts }, { userId, online, at: new Date().toISOString() });
    } catch (error) {
      this.logger.warn('could not announce presence', { userId, error: String(error) });
    }
  }

  private toRoom(conversationId: string, event: string, data: unknown, exceptSocketId?: string): void {
    this.route(event, exceptSocketId === undefined ? { kind: 'room', conversationId } : { kind: 'room', conversationId, exceptSocketId }, data);
  }

  /** Delivers here at once, and to every other node through the broker. */
  private route(event: string, target: BrokerTarget, data: unknown, order?: BrokerEnvelope['order']): void {
    const envelope: BrokerEnvelope = order === undefined ? { origin: this.nodeId, event, target, data } : { origin: this.nodeId, event, target, data, order };
    // An internal envelope is for the unread pushes only, never a frame of its own.
    if (event !== THREAD_READ) this.delivery.deliver(envelope);
    this.unread.observe(envelope);
    this.cluster.publish(envelope);
  }

  /** An envelope from another node. */
  private receive(envelope: BrokerEnvelope): void {
    if (envelope.event === MEMBERSHIP_CHANGED) {
      const { conversationId, removed } = envelope.data as { conversationId: string; removed: string[] };
      this.services.membership.invalidate(conversationId);
      for (const userId of removed) this.registry.evict(userId, conversationId);
      return;
    }
    if (envelope.event === HUB_DISCONNECT) return this.closeUserSockets(envelope.data as { userId: string; code: number; reason: string });
    if (envelope.event !== THREAD_READ) this.delivery.deliver(envelope);
    this.unread.observe(envelope);
  }
}

function send(socket: SocketLike, frame: ServerFrame): void {
  sendRaw(socket, JSON.stringify(frame));
}

function toChatError(error: unknown, logger: Logger): ChatError {
  if (error instanceof ChatError) return error;
  logger.error('frame handler failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  return new ChatError('INTERNAL', 'Internal error', undefined, { cause: error });
}
