import { EventEmitter } from 'eventemitter3';
import type { Broker, BrokerEnvelope, BrokerTarget } from '../adapters/broker.js';
import type { ChatServices } from '../create-chat-services.js';
import { ChatError, type ErrorCode } from '../domain/errors.js';
import type { ChatUser, Message } from '../domain/types.js';
import { validate } from '../domain/validate.js';
import { newId } from '../util/ids.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { SlidingWindow } from '../util/sliding-window.js';
import { frameHandlers, type HandlerContext } from './frame-handlers.js';
import { MEMBERSHIP_CHANGED, routeServiceEvents } from './service-event-routes.js';
import { CLIENT_EVENTS, clientEventSchemas, clientFrameSchema, CloseCode, SUCCESS_REPLIES, type ClientEvent, type ServerFrame } from './protocol.js';
import { FrameSequencer } from './frame-sequencer.js';
import { VersionOrder } from './version-order.js';
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

/**
 * Why sockets are told to catch up (`resync { reason }`):
 * - `broker_unavailable`: this node could not receive other nodes' events for a while;
 * - `broker_gap`: the broker says it lost events it cannot replay;
 * - `peer_publish_failed`: another node could not publish some of its events.
 */
export type ResyncReason = 'broker_unavailable' | 'broker_gap' | 'peer_publish_failed';

/** Internal envelope: a node that failed to publish asks the others to resync these users' sockets. */
const HUB_RESYNC = 'hub:resync';
/** Past this many users and conversations missed, a publish gap resyncs everyone. */
const MAX_MISSED = 10_000;

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
  /** Frames per connection: a budget of this node's, so in-process. */
  private readonly frameWindow = new SlidingWindow();
  private readonly limits: { frames: number; frameWindowMs: number; typing: number; typingWindowMs: number };
  private readonly overLimit = new Map<string, number>();
  private readonly nodeTtlMs: number;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private readonly detach: Array<() => void> = [];
  private readonly brokerRetry: { initialDelayMs: number; maxDelayMs: number };
  private readonly sequencers = new Map<string, FrameSequencer>();
  private readonly versionOrder: VersionOrder | null;
  /** Deliveries to a conversation's members waiting for its member list to load, in order. */
  private readonly memberQueues = new Map<string, Promise<void>>();
  private unsubscribe: (() => Promise<void>) | null = null;
  /** The broker subscription is live. */
  private subscribed = false;
  /** Whose events could not be published to other nodes since the last resync request. */
  private missed: { all: boolean; userIds: Set<string>; conversationIds: Set<string> } | null = null;
  /** Presence missed changes while unreachable; rebuilt by the next heartbeat that works. */
  private presenceStale = false;
  private closed = false;

  constructor(options: RealtimeHubOptions) {
    super();
    this.services = options.services;
    this.broker = options.broker;
    this.logger = options.logger ?? silentLogger;
    this.nodeId = options.nodeId ?? `node-${newId()}`;
    this.limits = { frames: 120, frameWindowMs: 60_000, typing: 5, typingWindowMs: 5_000, ...options.rateLimits };
    this.typing = new TypingTracker(
      this.services.presence,
      options.typingTtlMs ?? 10_000,
      (conversationId, userId, typing, exceptSocketId) =>
        this.toRoom(conversationId, typing ? 'user_typing' : 'user_stopped_typing', { conversationId, userId }, exceptSocketId),
      this.logger,
    );
    this.nodeTtlMs = options.nodeTtlMs ?? 45_000;
    this.brokerRetry = { initialDelayMs: 250, maxDelayMs: 30_000, ...options.brokerRetry };
    const eventOrder = options.eventOrder ?? (this.broker === undefined ? false : { gapMs: 250 });
    this.versionOrder = eventOrder === false ? null : new VersionOrder(eventOrder.gapMs, (envelope) => this.dispatch(envelope));
    this.heartbeat = setInterval(() => void this.beat(), options.heartbeatIntervalMs ?? 15_000);
    this.heartbeat.unref?.();
    this.detach.push(
      routeServiceEvents(this.services, {
        route: (event, target, data, order) => this.route(event, target, data, order),
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
    this.versionOrder?.close();
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
    if (this.missed !== null) this.requestPeerResync();
    try {
      await this.services.presence.heartbeat(this.nodeId, this.nodeTtlMs);
    } catch (error) {
      this.presenceStale = true;
      this.logger.warn('presence heartbeat failed', { error: String(error) });
      return;
    }
    if (this.presenceStale) {
      try {
        await this.services.presence.removeNode(this.nodeId);
        for (const entry of [...this.registry.all()]) await this.services.presence.addSocket(entry.userId, entry.id, this.nodeId);
        this.presenceStale = false;
        this.logger.info('presence rebuilt after an outage', { sockets: this.registry.size });
      } catch (error) {
        this.logger.warn('presence rebuild failed; will retry', { error: String(error) });
      }
    }
    await this.sweepDeadNodes();
  }

  /** A crashed node's users go offline for everyone: whichever node sweeps it first announces them. */
  private async sweepDeadNodes(): Promise<void> {
    try {
      const orphaned = await this.services.presence.removeDeadNodes();
      for (const userId of orphaned) if (this.registry.socketCount(userId) === 0) await this.announcePresence(userId, false);
    } catch (error) {
      this.logger.warn('could not sweep dead nodes', { error: String(error) });
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

  /** 120 frames a minute per connection; a connection that keeps going far past the limit is closed. */
  private limitFrames(entry: LocalSocket): void {
    const retryAfterMs = this.frameWindow.hit(entry.id, this.limits.frames, this.limits.frameWindowMs);
    if (retryAfterMs === 0) return;
    const over = (this.overLimit.get(entry.id) ?? 0) + 1;
    this.overLimit.set(entry.id, over);
    if (over > this.limits.frames) entry.socket.close(CloseCode.TooManyRequests, 'too many frames');
    throw new ChatError('RATE_LIMITED', `Too many frames: at most ${this.limits.frames} per ${this.limits.frameWindowMs / 1000} s`, { retryAfterMs });
  }

  private handlerContext(entry: LocalSocket, onQueued: () => void): HandlerContext {
    return {
      services: this.services,
      registry: this.registry,
      typing: this.typing,
      typingRule: { limit: this.limits.typing, windowMs: this.limits.typingWindowMs },
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
    this.frameWindow.forget(entry.id);
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
  private route(event: string, target: BrokerTarget, data: unknown, order?: BrokerEnvelope['order']): void {
    const envelope: BrokerEnvelope = order === undefined ? { origin: this.nodeId, event, target, data } : { origin: this.nodeId, event, target, data, order };
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
        if (this.missed !== null) this.requestPeerResync();
      },
      (error: unknown) => {
        this.logger.warn('broker publish failed; delivered on this node only', { event: envelope.event, error: String(error) });
        this.rememberMissed(envelope.target);
      },
    );
  }

  private rememberMissed(target: BrokerTarget): void {
    if (target.kind === 'room' || target.kind === 'sockets') return; // ephemeral: typing, join notices
    this.missed ??= { all: false, userIds: new Set(), conversationIds: new Set() };
    if (target.kind === 'nodes') this.missed.all = true; // a membership change other nodes' caches did not hear of
    else if (target.kind === 'members') this.missed.conversationIds.add(target.conversationId);
    else for (const id of target.userIds) this.missed.userIds.add(id);
    if (this.missed.userIds.size + this.missed.conversationIds.size > MAX_MISSED) this.missed.all = true;
  }

  private requestPeerResync(): void {
    const missed = this.missed;
    if (missed === null || this.broker === undefined) return;
    this.missed = null;
    const data = missed.all ? { all: true } : { userIds: [...missed.userIds], conversationIds: [...missed.conversationIds] };
    this.broker.publish({ origin: this.nodeId, event: HUB_RESYNC, target: { kind: 'nodes' }, data }).catch(() => {
      // Still failing: keep the debt for the next successful publish or heartbeat.
      if (missed.all) this.rememberMissed({ kind: 'nodes' });
      for (const userId of missed.userIds) this.rememberMissed({ kind: 'users', userIds: [userId] });
      for (const conversationId of missed.conversationIds) this.rememberMissed({ kind: 'members', conversationId });
    });
  }

  /** An envelope from another node. */
  private receive(envelope: BrokerEnvelope): void {
    if (envelope.event === HUB_RESYNC) {
      const { all, userIds = [], conversationIds = [] } = envelope.data as { all?: boolean; userIds?: string[]; conversationIds?: string[] };
      if (all === true) return this.resync('peer_publish_failed');
      void Promise.all(conversationIds.map((id) => this.services.membership.memberIds(id).catch(() => [] as string[]))).then((lists) =>
        this.resync('peer_publish_failed', [...new Set([...userIds, ...lists.flat()])]),
      );
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

  /** Delivers an envelope to this node's sockets, conversation changes in version order. */
  private deliver(envelope: BrokerEnvelope): void {
    if (this.versionOrder !== null) this.versionOrder.accept(envelope);
    else this.dispatch(envelope);
  }

  /**
   * Sends to the matching local sockets. A conversation's members come from the membership
   * cache; when it must load them first, later deliveries to that conversation wait behind,
   * so the order holds.
   */
  private dispatch(envelope: BrokerEnvelope): void {
    const { target } = envelope;
    if (target.kind !== 'members') return this.sendTo(envelope, this.localSockets(target));
    const queued = this.memberQueues.get(target.conversationId);
    const cached = queued === undefined ? this.services.membership.peek(target.conversationId) : undefined;
    if (cached !== undefined) return this.sendTo(envelope, this.userSockets(cached));
    const next = (queued ?? Promise.resolve()).then(async () => {
      const ids = await this.services.membership.memberIds(target.conversationId).catch((error: unknown) => {
        this.logger.warn('could not load members for delivery', { conversationId: target.conversationId, error: String(error) });
        return [];
      });
      this.sendTo(envelope, this.userSockets(ids));
    });
    this.memberQueues.set(target.conversationId, next);
    void next.finally(() => {
      if (this.memberQueues.get(target.conversationId) === next) this.memberQueues.delete(target.conversationId);
    });
  }

  private localSockets(target: Exclude<BrokerTarget, { kind: 'members' }>): Set<LocalSocket> {
    if (target.kind === 'users') return this.userSockets(target.userIds);
    const sockets = new Set<LocalSocket>();
    if (target.kind === 'room') {
      for (const entry of this.registry.roomSockets(target.conversationId)) sockets.add(entry);
    } else if (target.kind === 'sockets') {
      for (const id of target.socketIds) {
        const entry = this.registry.get(id);
        if (entry !== undefined) sockets.add(entry);
      }
    }
    return sockets;
  }

  private userSockets(userIds: Iterable<string>): Set<LocalSocket> {
    const sockets = new Set<LocalSocket>();
    for (const userId of userIds) for (const entry of this.registry.userSockets(userId)) sockets.add(entry);
    return sockets;
  }

  /** One serialized frame to each socket, exactly once, but the one excepted. */
  private sendTo(envelope: BrokerEnvelope, sockets: Set<LocalSocket>): void {
    const except = 'exceptSocketId' in envelope.target ? envelope.target.exceptSocketId : undefined;
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
