import { EventEmitter } from 'eventemitter3';
import type { Broker, BrokerEnvelope, BrokerTarget } from '../adapters/broker.js';
import type { ChatServices } from '../create-chat-services.js';
import { ChatError, type ErrorCode } from '../domain/errors.js';
import type { ChatUser, Message } from '../domain/types.js';
import { validate } from '../domain/validate.js';
import { newId } from '../util/ids.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { RateLimiter } from '../util/rate-limiter.js';
import { frameHandlers, type HandlerContext } from './frame-handlers.js';
import { MEMBERSHIP_CHANGED, routeServiceEvents } from './service-event-routes.js';
import { CLIENT_EVENTS, clientEventSchemas, clientFrameSchema, CloseCode, SUCCESS_REPLIES, type ClientEvent, type ServerFrame } from './protocol.js';
import { FrameSequencer } from './frame-sequencer.js';
import { SocketRegistry, type LocalSocket, type SocketLike } from './socket-registry.js';
import { TypingTracker } from './typing-tracker.js';

export interface RealtimeHubOptions {
  services: ChatServices;
  /** Cross-node fan-out; without one the hub serves a single node. */
  broker?: Broker;
  /** This node's id in broker envelopes and presence. Default: random. */
  nodeId?: string;
  logger?: Logger;
  /** Typing expires this long after the last `typing_start`. Default 10 s. */
  typingTtlMs?: number;
  /** Frames per connection per window (default 120 per 60 s); typing events per user (5 per 5 s). */
  rateLimits?: Partial<{ frames: number; frameWindowMs: number; typing: number; typingWindowMs: number }>;
  /** How often this node tells presence it is alive; sockets of a silent node stop counting after `nodeTtlMs`. */
  heartbeatIntervalMs?: number;
  nodeTtlMs?: number;
  /** Retry delays of the broker subscription while the broker is unreachable. Default 250 ms, doubling to 30 s. */
  brokerRetry?: { initialDelayMs?: number; maxDelayMs?: number };
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

/**
 * Why sockets are told to catch up (`resync { reason }`):
 * - `broker_unavailable`: this node could not receive other nodes' events for a while;
 * - `broker_gap`: the broker says it lost events it cannot replay;
 * - `peer_publish_failed`: another node could not publish some of its events.
 */
export type ResyncReason = 'broker_unavailable' | 'broker_gap' | 'peer_publish_failed';

/** Internal envelope: a node that failed to publish asks the others to resync these users' sockets. */
const HUB_RESYNC = 'hub:resync';
/** Past this many users missed, a publish gap resyncs everyone. */
const MAX_MISSED_USERS = 10_000;

export interface ConnectionHandle {
  socketId: string;
  /** Handles one text frame. Never throws: every failure becomes an `error` frame. */
  handleFrame(raw: string): Promise<void>;
  handleClose(): Promise<void>;
}

export interface HubHealth {
  status: 'healthy' | 'degraded' | 'unhealthy';
  storage: boolean;
  presence: boolean;
  broker: boolean;
  nodeId: string;
  connections: number;
}

/**
 * The transport-agnostic realtime core (SPEC §5). A transport authenticates a socket and
 * calls `handleConnection(socketLike, user)`; the hub answers frames, routes the services'
 * events to every member's sockets through the broker, and keeps presence and typing.
 */
export class RealtimeHub extends EventEmitter<HubEventMap> {
  readonly nodeId: string;
  private readonly services: ChatServices;
  private readonly broker: Broker | undefined;
  private readonly logger: Logger;
  private readonly registry = new SocketRegistry();
  private readonly typing: TypingTracker;
  private readonly frameLimiter: RateLimiter;
  private readonly typingLimiter: RateLimiter;
  private readonly frameLimit: number;
  private readonly overLimit = new Map<string, number>();
  private readonly nodeTtlMs: number;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private readonly detach: Array<() => void> = [];
  private readonly brokerRetry: { initialDelayMs: number; maxDelayMs: number };
  private readonly sequencers = new Map<string, FrameSequencer>();
  private unsubscribe: (() => Promise<void>) | null = null;
  /** The broker subscription is live. */
  private subscribed = false;
  /** Users whose events could not be published to other nodes since the last resync request. */
  private missedUsers: Set<string> | 'all' | null = null;
  /** Presence missed changes while unreachable; rebuilt by the next heartbeat that works. */
  private presenceStale = false;
  private closed = false;

  constructor(options: RealtimeHubOptions) {
    super();
    this.services = options.services;
    this.broker = options.broker;
    this.logger = options.logger ?? silentLogger;
    this.nodeId = options.nodeId ?? `node-${newId()}`;
    const limits = { frames: 120, frameWindowMs: 60_000, typing: 5, typingWindowMs: 5_000, ...options.rateLimits };
    this.frameLimit = limits.frames;
    this.frameLimiter = new RateLimiter(limits.frames, limits.frameWindowMs);
    this.typingLimiter = new RateLimiter(limits.typing, limits.typingWindowMs);
    this.typing = new TypingTracker(
      this.services.presence,
      options.typingTtlMs ?? 10_000,
      (conversationId, userId, typing, exceptSocketId) =>
        this.toRoom(conversationId, typing ? 'user_typing' : 'user_stopped_typing', { conversationId, userId }, exceptSocketId),
      this.logger,
    );
    this.nodeTtlMs = options.nodeTtlMs ?? 60_000;
    this.brokerRetry = { initialDelayMs: 250, maxDelayMs: 30_000, ...options.brokerRetry };
    this.heartbeat = setInterval(() => void this.beat(), options.heartbeatIntervalMs ?? 20_000);
    this.heartbeat.unref?.();
    this.detach.push(
      routeServiceEvents(this.services, {
        route: (event, target, data) => this.route(event, target, data),
        publish: (envelope) => this.publish(envelope),
        evict: (userId, conversationId) => this.registry.evict(userId, conversationId),
        stopTypingOnSend: (conversationId, userId) => void this.typing.stopOnSend(conversationId, userId),
        nodeId: this.nodeId,
      }),
    );
    // Local sockets are served at once; presence and the broker catch up in the background.
    void this.beat();
    if (this.broker !== undefined) void this.subscribe(this.broker);
  }

  /** Registers an authenticated socket; sends `connected` and announces the user online. */
  async handleConnection(socket: SocketLike, user: ChatUser): Promise<ConnectionHandle> {
    const socketId = newId();
    if (this.closed) {
      socket.close(CloseCode.GoingAway, 'server shutting down');
      return { socketId, handleFrame: async () => {}, handleClose: async () => {} };
    }
    if (user.status !== 'active') {
      send(socket, { type: 'connection_error', data: { code: 'FORBIDDEN', message: `User ${user.id} is not active` } });
      socket.close(CloseCode.Unauthorized, 'user not active');
      return { socketId, handleFrame: async () => {}, handleClose: async () => {} };
    }
    const entry: LocalSocket = { id: socketId, userId: user.id, socket, rooms: new Set() };
    this.registry.add(entry);
    this.sequencers.set(socketId, new FrameSequencer());
    send(socket, { type: 'connected', data: { userId: user.id, socketId, serverTime: new Date().toISOString() } });
    this.emit('connected', { socketId, userId: user.id });
    let first = true;
    try {
      first = (await this.services.presence.addSocket(user.id, socketId, this.nodeId)).firstSocket;
    } catch (error) {
      this.presenceStale = true;
      this.logger.warn('presence unavailable; counting local sockets', { error: String(error) });
      first = this.registry.socketCount(user.id) === 1;
    }
    if (first) await this.announcePresence(user.id, true);
    let closed = false;
    return {
      socketId,
      handleFrame: (raw) => this.handleFrame(entry, raw),
      handleClose: async () => {
        if (closed) return;
        closed = true;
        await this.disconnect(entry);
      },
    };
  }

  /** Sends `conversation_updated` to every member's sockets (seed: notifyConversationUpdate). */
  async notifyConversationUpdate(conversationId: string, updateType: string, data: Record<string, unknown> = {}): Promise<void> {
    const audience = await this.services.membership.memberIds(conversationId);
    this.route('conversation_updated', { kind: 'users', userIds: audience }, { conversationId, updateType, data });
  }

  /** Sends any event to every socket of one user, on any node. */
  notifyUser(userId: string, event: string, data: unknown): void {
    this.route(event, { kind: 'users', userIds: [userId] }, data);
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

  async healthCheck(): Promise<HubHealth> {
    const probe = async (check: () => Promise<unknown>) => {
      try {
        const result = await check();
        return result !== false;
      } catch {
        return false;
      }
    };
    const [storage, presence, broker] = await Promise.all([
      probe(() => this.services.store.ping()),
      probe(() => this.services.presence.healthCheck()),
      this.broker === undefined ? Promise.resolve(true) : probe(async () => this.subscribed && (await this.broker!.healthCheck())),
    ]);
    const status = !storage ? 'unhealthy' : presence && broker ? 'healthy' : 'degraded';
    return { status, storage, presence, broker, nodeId: this.nodeId, connections: this.registry.size };
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
    await Promise.all([...this.registry.all()].map((entry) => this.disconnect(entry)));
    await this.services.presence.removeNode(this.nodeId).catch(() => undefined);
    this.subscribed = false;
    await this.unsubscribe?.().catch(() => undefined);
  }

  /**
   * Subscribes to the broker, retrying with backoff while it is unreachable. A node that
   * could not subscribe at once may have missed other nodes' events: once subscribed, its
   * sockets are told to catch up.
   */
  private async subscribe(broker: Broker): Promise<void> {
    let delay = this.brokerRetry.initialDelayMs;
    let failed = false;
    while (!this.closed) {
      try {
        const unsubscribe = await broker.subscribe(
          (envelope) => {
            if (envelope.origin !== this.nodeId) this.receive(envelope);
          },
          { onGap: () => this.resync('broker_gap') },
        );
        if (this.closed) {
          await unsubscribe().catch(() => undefined);
          return;
        }
        this.unsubscribe = unsubscribe;
        this.subscribed = true;
        if (failed) {
          this.logger.info('broker subscription established after failures');
          this.resync('broker_unavailable');
        }
        return;
      } catch (error) {
        failed = true;
        this.logger.warn('broker subscription failed; serving this node only, retrying', { retryInMs: delay, error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, delay * (0.8 + Math.random() * 0.4)).unref?.());
        delay = Math.min(delay * 2, this.brokerRetry.maxDelayMs);
      }
    }
  }

  /** Tells local sockets (of `userIds`, or all) to catch up from their cursors. */
  private resync(reason: ResyncReason, userIds?: string[]): void {
    const frame = JSON.stringify({ type: 'resync', data: { reason } });
    let sockets = 0;
    const targets = userIds === undefined ? this.registry.all() : userIds.flatMap((id) => [...this.registry.userSockets(id)]);
    for (const entry of targets) {
      sendRaw(entry.socket, frame);
      sockets += 1;
    }
    if (userIds === undefined) this.services.membership.clear();
    this.logger.info('sockets told to resync', { reason, sockets });
    this.emit('resync', { reason, sockets });
  }

  /**
   * Keeps this node counted. After presence was unreachable, the first beat that works
   * rebuilds this node's entries from the sockets it really holds (SPEC §6: no restart).
   */
  private async beat(): Promise<void> {
    if (this.missedUsers !== null) this.requestPeerResync();
    try {
      await this.services.presence.heartbeat(this.nodeId, this.nodeTtlMs);
    } catch (error) {
      this.presenceStale = true;
      this.logger.warn('presence heartbeat failed', { error: String(error) });
      return;
    }
    if (!this.presenceStale) return;
    try {
      await this.services.presence.removeNode(this.nodeId);
      for (const entry of [...this.registry.all()]) await this.services.presence.addSocket(entry.userId, entry.id, this.nodeId);
      this.presenceStale = false;
      this.logger.info('presence rebuilt after an outage', { sockets: this.registry.size });
    } catch (error) {
      this.logger.warn('presence rebuild failed; will retry', { error: String(error) });
    }
  }

  /**
   * One text frame: parsed and counted against the rate limit on arrival, then handled in
   * the connection's order (see FrameSequencer) and answered in that order.
   */
  private handleFrame(entry: LocalSocket, raw: string): Promise<void> {
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
    const sequencer = this.sequencers.get(entry.id);
    if (sequencer === undefined) return Promise.resolve();
    const pipelined = refused === null && candidate?.type === 'send_message';
    return sequencer.schedule(pipelined, async (markOrdered) => {
      let type = 'unknown';
      try {
        if (refused !== null) throw refused;
        if (parsed === undefined) throw ChatError.validation('frame', 'is not valid JSON');
        const frame = validate(clientFrameSchema, parsed, 'frame');
        type = frame.type;
        this.emit('frame_in', { socketId: entry.id, type });
        if (!(CLIENT_EVENTS as string[]).includes(frame.type)) {
          throw ChatError.validation('frame.type', `unknown event "${frame.type.slice(0, 64)}"; expected one of ${CLIENT_EVENTS.join(', ')}`);
        }
        const event = frame.type as ClientEvent;
        const data = validate(clientEventSchemas[event], frame.data ?? {}, 'data');
        const handler = frameHandlers[event] as (ctx: HandlerContext, data: unknown) => Promise<unknown>;
        const result = await handler(this.handlerContext(entry, markOrdered), data);
        return () => {
          this.reply(entry, SUCCESS_REPLIES[event], result, replyTo);
          this.emit('frame_handled', { type, durationMs: performance.now() - started });
        };
      } catch (error) {
        const chatError = toChatError(error, this.logger);
        return () => {
          this.emit('frame_error', { type, code: chatError.code });
          this.reply(entry, 'error', chatError.toJSON(), replyTo);
          this.emit('frame_handled', { type, durationMs: performance.now() - started, code: chatError.code });
        };
      }
    });
  }

  /** 120 frames a minute; a connection that keeps going far past the limit is closed. */
  private limitFrames(entry: LocalSocket): void {
    try {
      this.frameLimiter.consume(entry.id, 'frames');
    } catch (error) {
      const over = (this.overLimit.get(entry.id) ?? 0) + 1;
      this.overLimit.set(entry.id, over);
      if (over > this.frameLimit) entry.socket.close(CloseCode.TooManyRequests, 'too many frames');
      throw error;
    }
  }

  private handlerContext(entry: LocalSocket, onQueued: () => void): HandlerContext {
    return {
      services: this.services,
      registry: this.registry,
      typing: this.typing,
      typingLimiter: this.typingLimiter,
      toRoom: (conversationId, event, data, exceptSocketId) => this.toRoom(conversationId, event, data, exceptSocketId),
      userId: entry.userId,
      socketId: entry.id,
      origin: { socketId: entry.id, onQueued },
    };
  }

  private reply(entry: LocalSocket, type: string, data: unknown, replyTo: string | number | undefined): void {
    send(entry.socket, replyTo === undefined ? { type, data } : { type, data, replyTo });
    this.emit('frame_out', { type, sockets: 1 });
  }

  private async disconnect(entry: LocalSocket): Promise<void> {
    if (this.registry.remove(entry.id) === undefined) return;
    this.overLimit.delete(entry.id);
    this.sequencers.delete(entry.id);
    this.emit('disconnected', { socketId: entry.id, userId: entry.userId });
    await this.typing.stopAll(entry.userId);
    let last = true;
    try {
      last = (await this.services.presence.removeSocket(entry.userId, entry.id)).lastSocket;
    } catch (error) {
      this.presenceStale = true;
      this.logger.warn('presence unavailable; counting local sockets', { error: String(error) });
      last = this.registry.socketCount(entry.userId) === 0;
    }
    if (last) await this.announcePresence(entry.userId, false);
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
  private route(event: string, target: BrokerTarget, data: unknown): void {
    const envelope: BrokerEnvelope = { origin: this.nodeId, event, target, data };
    this.deliver(envelope);
    this.publish(envelope);
  }

  /**
   * Sends to the other nodes. When that fails, the users concerned are remembered; once the
   * broker takes envelopes again, the other nodes are asked to resync those users' sockets.
   */
  private publish(envelope: BrokerEnvelope): void {
    if (this.broker === undefined || this.closed) return;
    this.broker.publish(envelope).then(
      () => {
        if (this.missedUsers !== null) this.requestPeerResync();
      },
      (error: unknown) => {
        this.logger.warn('broker publish failed; delivered on this node only', { event: envelope.event, error: String(error) });
        this.rememberMissed(envelope.target);
      },
    );
  }

  private rememberMissed(target: BrokerTarget): void {
    if (this.missedUsers === 'all') return;
    if (target.kind === 'room' || target.kind === 'sockets') return; // ephemeral: typing, join notices
    if (target.kind === 'nodes') {
      this.missedUsers = 'all'; // a membership change other nodes' caches did not hear of
      return;
    }
    this.missedUsers ??= new Set();
    for (const id of target.userIds) this.missedUsers.add(id);
    if (this.missedUsers.size > MAX_MISSED_USERS) this.missedUsers = 'all';
  }

  private requestPeerResync(): void {
    const missed = this.missedUsers;
    if (missed === null || this.broker === undefined) return;
    this.missedUsers = null;
    const data = missed === 'all' ? { all: true } : { userIds: [...missed] };
    this.broker.publish({ origin: this.nodeId, event: HUB_RESYNC, target: { kind: 'nodes' }, data }).catch(() => {
      // Still failing: keep the debt for the next successful publish or heartbeat.
      if (missed === 'all') this.missedUsers = 'all';
      else for (const id of missed) this.rememberMissed({ kind: 'users', userIds: [id] });
    });
  }

  /** An envelope from another node. */
  private receive(envelope: BrokerEnvelope): void {
    if (envelope.event === HUB_RESYNC) {
      const { all, userIds } = envelope.data as { all?: boolean; userIds?: string[] };
      this.resync('peer_publish_failed', all === true ? undefined : (userIds ?? []));
      return;
    }
    if (envelope.event === MEMBERSHIP_CHANGED) {
      const { conversationId, removed } = envelope.data as { conversationId: string; removed: string[] };
      this.services.membership.invalidate(conversationId);
      for (const userId of removed) this.registry.evict(userId, conversationId);
      return;
    }
    this.deliver(envelope);
  }

  /** Sends one serialized frame to each matching local socket, exactly once. */
  private deliver(envelope: BrokerEnvelope): void {
    const { target } = envelope;
    const sockets = new Set<LocalSocket>();
    if (target.kind === 'users') {
      for (const userId of target.userIds) for (const entry of this.registry.userSockets(userId)) sockets.add(entry);
    } else if (target.kind === 'room') {
      for (const entry of this.registry.roomSockets(target.conversationId)) sockets.add(entry);
    } else if (target.kind === 'sockets') {
      for (const id of target.socketIds) {
        const entry = this.registry.get(id);
        if (entry !== undefined) sockets.add(entry);
      }
    }
    const except = 'exceptSocketId' in target ? target.exceptSocketId : undefined;
    // Most envelopes from other nodes have no recipient here: serialize only when one does.
    let frame: string | undefined;
    let count = 0;
    for (const entry of sockets) {
      if (entry.id === except) continue;
      frame ??= JSON.stringify({ type: envelope.event, data: envelope.data });
      sendRaw(entry.socket, frame);
      count += 1;
    }
    if (count > 0) this.emit('frame_out', { type: envelope.event, sockets: count });
  }
}

function send(socket: SocketLike, frame: ServerFrame): void {
  sendRaw(socket, JSON.stringify(frame));
}

/** A socket that fails to send is on its way out; its close handler cleans up. */
function sendRaw(socket: SocketLike, frame: string): void {
  try {
    socket.send(frame);
  } catch {
    // ignored: the transport reports the close
  }
}

function toChatError(error: unknown, logger: Logger): ChatError {
  if (error instanceof ChatError) return error;
  logger.error('frame handler failed', { error: error instanceof Error ? error.stack ?? error.message : String(error) });
  return new ChatError('INTERNAL', 'Internal error', undefined, { cause: error });
}
