import type { AttachmentInfo, ClientEvent, ClientEventData, ClientEventReply, Message, Pin, ServerEventData } from '@parley/core/protocol';
import { completeSentMessage } from '@parley/core/protocol';
import { CatchUp } from './catch-up.js';
import type { ParleyClientEvents, ParleyClientOptions, SendMessageOptions } from './client-options.js';
import { ProtocolMethods } from './protocol-methods.js';
import { Connection, type ConnectionStatus } from './connection.js';
import { Emitter } from './emitter.js';
import { ClientError } from './errors.js';
import { routeFrame, type RouterContext } from './frame-router.js';
import { loadList, loadOlder, openWindow, tick, type LoaderContext, type OpenOptions } from './loaders.js';
import { silentLogger, type Logger } from './logger.js';
import { Outbox } from './outbox.js';
import { Requests } from './requests.js';
import { Rest, type FetchLike, type MemberWithProfile } from './rest.js';
import { removeView } from './state/conversations.js';
import { withOutbox, withSyncEntry } from './state/events.js';
import { withThreadPage, withThreadUnread } from './state/threads.js';
import { Store } from './state/store.js';
import { nextPinExpiry, withPin, withPinList, withoutExpiredPins, withoutPin, withoutPins } from './state/pins.js';
import type { ParleyState, ThreadWindow } from './state/types.js';
import { hasGap } from './state/windows.js';
import { browserNetwork, type WebSocketConstructor } from './socket-types.js';
import { memoryStorage } from './storage/outbox-storage.js';
import { SessionTimers } from './session-timers.js';
import { TypingTimers } from './typing.js';
import { defaultPutBytes, uploadFile, type PutBytes, type UploadBody, type UploadOptions } from './uploads.js';

/**
 * The Parley client: a typed method per client event, typed events, reconnects, an outbox that
 * resends, catch-up after every reconnect, and a state store a UI renders directly.
 */
export class ParleyClient extends ProtocolMethods {
  private readonly store: Store;
  private readonly connection: Connection;
  private readonly requests: Requests;
  private readonly outbox: Outbox;
  private readonly catchUpper: CatchUp;
  private readonly typingTimers: TypingTimers;
  private readonly events: Emitter<ParleyClientEvents>;
  private readonly session: SessionTimers;
  private readonly rest: Rest | null;
  private readonly logger: Logger;
  private readonly rooms = new Set<string>();
  private readonly unreadStamps = new Map<string, number>();
  private readonly typingSent = new Map<string, number>();
  private listTimer: ReturnType<typeof setTimeout> | null = null;
  private pinTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly loader: LoaderContext;
  private readonly routerContext: RouterContext;
  private readonly putBytes: PutBytes;

  constructor(options: ParleyClientOptions) {
    super();
    this.logger = options.logger ?? silentLogger;
    const logError = (what: string) => (error: unknown) => this.logger.error(what, { error: String(error) });
    this.events = new Emitter(logError('an event listener threw'));
    this.store = new Store(logError('a state listener threw'));
    const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocketClass === undefined) throw new TypeError('No WebSocket here: pass createParleyClient({ WebSocket }) (in Node: `import { WebSocket } from "ws"`)');
    this.connection = new Connection({
      url: options.url,
      getToken: options.getToken,
      WebSocket: WebSocketClass,
      network: options.network === undefined ? browserNetwork() : options.network,
      reconnect: options.reconnect ?? {},
      logger: this.logger,
    });
    this.requests = new Requests(options.requestTimeoutMs ?? 30_000, (type) => this.connection.drop(`no reply to ${type}`));
    this.outbox = new Outbox({
      storage: options.storage ?? memoryStorage(),
      logger: this.logger,
      maxFrameBytes: options.maxFrameBytes ?? 1024 * 1024,
      canSend: () => this.connection.isOpen,
      onTimeout: () => undefined,
      onChange: (entries) => this.store.update((s) => withOutbox(s, entries)),
      send: async (entry) => {
        const reply = await this.request('send_message', { ...entry.message, conversationId: entry.conversationId, tempId: entry.clientMessageId });
        // `message_sent` carries what the server decided and what differs from the send; the send has the rest.
        const message = completeSentMessage(reply.message, {
          ...entry.message,
          conversationId: entry.conversationId,
          senderId: entry.userId ?? this.store.getState().userId ?? '',
          clientMessageId: entry.clientMessageId,
        });
        routeFrame(this.routerContext, { known: true, type: 'new_message', data: reply.thread === undefined ? { message } : { message, thread: reply.thread } });
        return { message };
      },
    });
    this.catchUpper = new CatchUp({
      sync: (since) => this.request('sync', { since }),
      cursorOf: (id) => this.store.getState().windows[id]?.cursor ?? null,
      hasGap: (id) => {
        const window = this.store.getState().windows[id];
        return window !== undefined && hasGap(window);
      },
      apply: (id, entry) => {
        this.store.update((s) => withSyncEntry(s, id, entry));
        for (const message of entry.messages) this.outbox.stored(message);
      },
      refused: (id, error) => {
        this.logger.info('catch-up refused for a conversation', { conversationId: id, code: error.code });
        if (error.code === 'NOT_FOUND' || error.code === 'FORBIDDEN') this.forget(id);
      },
      logger: this.logger,
      batchSize: 200,
      gapDelayMs: options.gapDelayMs ?? 150,
    });
    this.typingTimers = new TypingTimers(options.typingTtlMs ?? 12_000, (conversationId, userId) =>
      this.routeEvent({ known: true, type: 'user_stopped_typing', data: { conversationId, userId } }),
    );
    this.rest = options.restUrl === undefined ? null : new Rest(options.restUrl, async () => this.connection.token ?? (await options.getToken()), options.fetch ?? defaultFetch());
    this.session = new SessionTimers({
      refreshBeforeMs: options.refreshBeforeMs ?? 60_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 25_000,
      getToken: options.getToken,
      authenticate: (token) => this.authenticate(token),
      ping: () => this.ping(),
      onToken: (token, expiresAt) => {
        this.connection.token = token;
        this.events.emit('token_refreshed', { expiresAt });
      },
      logger: this.logger,
    });
    this.loader = {
      store: this.store,
      rest: this.rest,
      catchUp: this.catchUpper,
      unreadSeenAt: (id) => this.unreadStamps.get(id) ?? 0,
      pendingFor: (id) => this.outbox.list.filter((e) => e.conversationId === id && (e.message.threadId === undefined || e.message.alsoToConversation === true)),
    };
    this.routerContext = {
      store: this.store,
      outbox: this.outbox,
      catchUp: this.catchUpper,
      typing: this.typingTimers,
      me: () => this.store.getState().userId,
      forget: (id) => this.forget(id),
      resync: () => {
        void this.catchUp();
        this.reloadListSoon();
        this.reloadPins();
      },
      pinsChanged: () => this.armPinTimer(),
      listChanged: () => this.reloadListSoon(),
      unreadSeen: (id) => {
        const stamp = tick();
        this.unreadStamps.set(id, stamp);
        this.unreadStamps.set('*', stamp);
      },
    };
    this.putBytes = options.putBytes ?? defaultPutBytes(httpOrigin(options.url));
    this.wireConnection();
    if (options.autoConnect !== false) this.connect();
  }

  // ---- connection and state ----

  get status(): ConnectionStatus {
    return this.connection.status;
  }

  getState = (): ParleyState => this.store.getState();
  subscribe = (listener: () => void): (() => void) => this.store.subscribe(listener);

  on<K extends keyof ParleyClientEvents>(event: K, handler: (data: ParleyClientEvents[K]) => void): () => void {
    return this.events.on(event, handler);
  }

  connect(): void {
    this.store.update((s) => (s.error === null ? s : { ...s, error: null }));
    this.connection.start();
  }

  /** Closes the socket and stops reconnecting; the outbox keeps what was not sent. */
  close(): void {
    this.connection.stop();
    this.session.stop();
    if (this.listTimer !== null) clearTimeout(this.listTimer);
    this.listTimer = null;
    if (this.pinTimer !== null) clearTimeout(this.pinTimer);
    this.pinTimer = null;
    this.catchUpper.reset();
    this.typingTimers.clearAll();
    this.requests.failAll(new ClientError('CLOSED', 'The client was closed'));
  }

  /** Resolves once the outbox's storage has every change asked of it (before a planned reload, say). */
  flushStorage(): Promise<void> {
    return this.outbox.ready.then(() => this.outbox.flushed());
  }

  // ---- requests ----

  /** Sends any client event; resolves with its success reply, rejects with a ClientError. */
  request<E extends ClientEvent>(type: E, data: ClientEventData[E]): Promise<ClientEventReply[E]> {
    return this.requests.issue(type, data, (text) => this.connection.send(text)) as Promise<ClientEventReply[E]>;
  }

  /**
   * Sends a message through the outbox: shown at once as pending, sent when connected, resent
   * after reconnects. Resolves with the stored message; rejects when refused for good.
   */
  sendMessage({ conversationId, clientMessageId, ...message }: SendMessageOptions): Promise<Message> {
    return this.outbox.add(conversationId, message, clientMessageId);
  }

  /** Sends a failed message again (same clientMessageId). */
  retrySend(clientMessageId: string): Promise<Message> {
    return this.outbox.retry(clientMessageId);
  }

  /** Drops a send from the outbox (its promise rejects with CLOSED). */
  discardSend(clientMessageId: string): boolean {
    return this.outbox.discard(clientMessageId);
  }

  /** Resolves when a send (made before a reload, say) is stored. */
  whenSent(clientMessageId: string): Promise<Message> {
    return this.outbox.waitFor(clientMessageId);
  }

  /**
   * Uploads a file into a conversation (create_upload, the bytes straight to storage, then
   * complete_upload) and resolves with the checked attachment: send it with
   * `sendMessage({ conversationId, type: 'file', attachmentIds: [attachment.id] })`.
   */
  upload(conversationId: string, file: UploadBody, options: UploadOptions = {}): Promise<AttachmentInfo> {
    return uploadFile({ createUpload: (data) => this.createUpload(data), completeUpload: (id) => this.completeUpload(id) }, this.putBytes, conversationId, file, options);
  }

  /** The members of a conversation with their profiles (REST). */
  listMembers(conversationId: string): Promise<MemberWithProfile[]> {
    if (this.rest === null) return Promise.reject(new ClientError('VALIDATION_FAILED', 'Members come from the REST API: pass restUrl to createParleyClient'));
    return this.rest.listMembers(conversationId);
  }

  stopTyping(conversationId: string): Promise<ServerEventData['ack']> {
    this.typingSent.delete(conversationId);
    return this.request('typing_stop', { conversationId });
  }

  /**
   * For a text field's input event: sends `typing_start` at most once every 3 s per
   * conversation (the server keeps typing alive for 10 s and allows 5 typing events per 5 s),
   * and never fails.
   */
  notifyTyping(conversationId: string): void {
    const now = Date.now();
    if (!this.connection.isOpen || now - (this.typingSent.get(conversationId) ?? 0) < 3_000) return;
    this.typingSent.set(conversationId, now);
    this.startTyping(conversationId).catch((error: unknown) => this.logger.debug('typing_start refused', { error: String(error) }));
  }

  /** Joins the conversation's room (typing, join/leave notices) — again after every reconnect. */
  async joinConversation(conversationId: string): Promise<ServerEventData['joined_conversation']> {
    this.rooms.add(conversationId);
    const reply = await this.request('join_conversation', { conversationId });
    this.applyJoined(reply);
    return reply;
  }

  async leaveConversation(conversationId: string): Promise<ServerEventData['left_conversation']> {
    this.rooms.delete(conversationId);
    return this.request('leave_conversation', { conversationId });
  }

  // ---- pins ----

  /**
   * Pins a message (again: replaces who, when and the expiry); `expiresAt` (ISO, in the future)
   * ends it by itself. Resolves with the pin; the conversation's pins in the state follow.
   */
  async pinMessage(messageId: string, options: { expiresAt?: string | null } = {}): Promise<Pin> {
    const { pin } = await this.request('pin_message', options.expiresAt === undefined ? { messageId } : { messageId, expiresAt: options.expiresAt });
    this.store.update((s) => withPin(s, pin, new Date().toISOString()));
    this.armPinTimer();
    return pin;
  }

  async unpinMessage(messageId: string): Promise<ServerEventData['unpin_message_success']> {
    const reply = await this.request('unpin_message', { messageId });
    this.store.update((s) => withoutPin(s, reply.conversationId, reply.messageId));
    return reply;
  }

  /**
   * Loads a conversation's pins into the state (`state.pins[conversationId]`) and keeps them
   * live from then on — reloaded after every reconnect and `resync`, since pins are not part
   * of catch-up.
   */
  async loadPins(conversationId: string): Promise<readonly Pin[]> {
    const pins = await this.listPins(conversationId);
    this.store.update((s) => withPinList(s, conversationId, pins, new Date().toISOString()));
    this.armPinTimer();
    return this.store.getState().pins[conversationId] ?? [];
  }

  // ---- conversations and windows ----

  /** Holds a message window for the conversation, caught up, and joins its room. */
  async openConversation(conversationId: string, options: OpenOptions & { join?: boolean } = {}): Promise<void> {
    if (options.join !== false) {
      this.rooms.add(conversationId);
      if (this.connection.isOpen) void this.joinConversation(conversationId).catch((error: unknown) => this.logger.warn('join failed', { conversationId, error: String(error) }));
    }
    await openWindow(this.loader, conversationId, options);
  }

  /** Leaves the room; the window stays (and keeps being caught up). */
  async closeConversation(conversationId: string): Promise<void> {
    if (this.rooms.has(conversationId) && this.connection.isOpen) await this.leaveConversation(conversationId).catch(() => undefined);
    this.rooms.delete(conversationId);
  }

  loadOlderMessages(conversationId: string, limit?: number): Promise<boolean> {
    return loadOlder(this.loader, conversationId, limit);
  }

  // ---- threads ----

  /**
   * Holds a window for the thread (its root and its latest replies, or those after `after`),
   * kept up to date by live events and catch-up. Reply in it with `sendMessage({ threadId })`.
   */
  async openThread(threadId: string, options: { limit?: number } = {}): Promise<ThreadWindow> {
    const page = await this.request('get_thread', { threadId, limit: options.limit ?? 50 });
    this.store.update((s) => {
      const next = withThreadPage(s, threadId, page, 'latest');
      const window = next.threads[threadId]!;
      const pending = this.outbox.list.filter((e) => e.message.threadId === threadId && e.message.alsoToConversation !== true);
      return { ...next, threads: { ...next.threads, [threadId]: { ...window, pending } } };
    });
    return this.store.getState().threads[threadId]!;
  }

  /** Loads the replies before the first one held. Resolves false when there is nothing older. */
  async loadOlderThreadReplies(threadId: string, limit = 50): Promise<boolean> {
    const window = this.store.getState().threads[threadId];
    if (window === undefined) throw new ClientError('NOT_FOUND', `Thread ${threadId} is not open: call openThread first`);
    const first = window.messages[0];
    if (!window.hasMoreBefore && first !== undefined) return false;
    const page = await this.request('get_thread', { threadId, limit, ...(first === undefined ? {} : { before: first.seq }) });
    this.store.update((s) => withThreadPage(s, threadId, page, 'older'));
    return page.messages.length > 0;
  }

  /** Forgets the thread's window (its unread count stays followed). */
  closeThread(threadId: string): void {
    this.store.update((s) => {
      if (s.threads[threadId] === undefined) return s;
      const { [threadId]: _gone, ...threads } = s.threads;
      return { ...s, threads };
    });
  }

  /** Marks the thread read up to `messageId` (a reply) or its last reply; the server pushes the new count. */
  async markThreadRead(threadId: string, messageId?: string): Promise<ServerEventData['mark_thread_read_success']> {
    const result = await this.request('mark_thread_read', messageId === undefined ? { threadId } : { threadId, messageId });
    this.store.update((s) => withThreadUnread(s, result));
    return result;
  }

  /** Loads the unread counts of the threads this user follows in a conversation into `threadUnread`. */
  async loadThreadUnread(conversationId: string): Promise<void> {
    const threads = await this.getThreadUnread(conversationId);
    this.store.update((s) => threads.reduce(withThreadUnread, s));
  }

  loadConversations(options: { archived?: boolean } = {}): Promise<void> {
    return loadList(this.loader, options);
  }

  /** Catches up the given conversations (default: every window held) from their cursors. */
  catchUp(conversationIds?: string[]): Promise<void> {
    return this.catchUpper.request(conversationIds ?? Object.keys(this.store.getState().windows));
  }

  // ---- internals ----

  private wireConnection(): void {
    const c = this.connection;
    c.on('status', (status) => {
      this.store.update((s) => (s.status === status ? s : { ...s, status, error: status === 'closed' ? c.lastError : s.error }));
      this.events.emit('status', status);
    });
    c.on('open', (data) => this.opened(data));
    c.on('close', (info) => {
      this.requests.failAll(new ClientError('DISCONNECTED', `The socket closed (${info.code}${info.reason === '' ? '' : ` ${info.reason}`})`));
      this.session.stop();
      this.catchUpper.reset();
      this.typingTimers.clearAll();
      this.store.update((s) => ({ ...s, typing: {}, windows: Object.fromEntries(Object.entries(s.windows).map(([id, w]) => [id, w.synced ? { ...w, synced: false } : w])) }));
      this.events.emit('disconnected', info);
    });
    c.on('gave_up', (error) => {
      this.store.update((s) => ({ ...s, error: { code: error.code, message: error.message } }));
      this.events.emit('gave_up', error);
    });
    c.on('invalid', ({ problem, frame }) => {
      this.events.emit('invalid_frame', { problem });
      if (frame?.replyTo !== undefined) this.requests.settle(frame.replyTo, frame.type, frame.data, new ClientError('PROTOCOL', problem));
    });
    c.on('frame', (frame) => {
      if (frame.replyTo !== undefined && this.requests.settle(frame.replyTo, frame.type, frame.data)) return;
      this.routeEvent(frame);
    });
  }

  /** The server accepted a socket: resend, rejoin, catch up, refresh the list, keep the session alive. */
  private opened(data: ServerEventData['connected']): void {
    this.store.update((s) => ({ ...s, userId: data.userId, error: null }));
    void this.outbox.ready.then(() => this.outbox.opened(data.userId));
    for (const id of this.rooms) void this.joinConversation(id).catch((error: unknown) => this.logger.warn('rejoin failed', { conversationId: id, error: String(error) }));
    void this.catchUp();
    this.reloadPins();
    if (this.rest !== null) void this.loadConversations().catch((error: unknown) => this.logger.warn('could not load the conversation list', { error: String(error) }));
    this.session.start(data.expiresAt);
    this.events.emit('connected', data);
  }

  private routeEvent(frame: Parameters<typeof routeFrame>[1]): void {
    routeFrame(this.routerContext, frame);
    if (frame.known) this.events.emit(frame.type, frame.data as never);
    this.events.emit('frame', { type: frame.type, data: frame.data });
  }

  /** Several list changes in a burst (members added one by one, say) make one reload. */
  private reloadListSoon(): void {
    if (this.rest === null || this.listTimer !== null) return;
    this.listTimer = setTimeout(() => {
      this.listTimer = null;
      void this.loadConversations().catch((error: unknown) => this.logger.warn('could not load the conversation list', { error: String(error) }));
    }, 50);
  }

  /** Pins are not part of catch-up: the lists held are loaded again. */
  private reloadPins(): void {
    for (const id of Object.keys(this.store.getState().pins)) {
      void this.loadPins(id).catch((error: unknown) => this.logger.warn('could not reload pins', { conversationId: id, error: String(error) }));
    }
  }

  /** Pins expire without an event: a timer drops each from the state at its `expiresAt`. */
  private armPinTimer(): void {
    if (this.pinTimer !== null) clearTimeout(this.pinTimer);
    this.pinTimer = null;
    const next = nextPinExpiry(this.store.getState());
    if (next === null) return;
    this.pinTimer = setTimeout(() => {
      this.pinTimer = null;
      this.store.update((s) => withoutExpiredPins(s, new Date().toISOString()));
      this.armPinTimer();
    }, Math.min(Math.max(0, next - Date.now()) + 1, 2 ** 31 - 1));
  }

  private applyJoined(reply: ServerEventData['joined_conversation']): void {
    const me = this.store.getState().userId;
    this.store.update((s) => {
      const typing = reply.typingUserIds.filter((id) => id !== me);
      const online = { ...s.online };
      for (const id of reply.onlineUserIds) online[id] = true;
      return { ...s, online, typing: { ...s.typing, [reply.conversationId]: typing } };
    });
    for (const id of reply.typingUserIds) if (id !== me) this.typingTimers.touch(reply.conversationId, id);
  }

  private forget(conversationId: string): void {
    this.rooms.delete(conversationId);
    this.store.update((s) => withoutPins(removeView(s, conversationId), conversationId));
  }
}

/** The global fetch, bound: browsers refuse a `fetch` called as another object's method. */
function defaultFetch(): FetchLike {
  const f = (globalThis as { fetch?: FetchLike }).fetch;
  if (f === undefined) throw new TypeError('No fetch here: pass createParleyClient({ fetch }) with restUrl');
  return f.bind(globalThis);
}

/** The HTTP origin of the socket's URL (`wss://h/chat` → `https://h`): relative upload URLs are on it. */
function httpOrigin(socketUrl: string): string {
  const location = (globalThis as { location?: { origin?: string } }).location;
  try {
    const url = new URL(socketUrl, location?.origin);
    return `${url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol}//${url.host}`;
  } catch {
    return location?.origin ?? 'http://localhost';
  }
}

/** Creates a client and (unless `autoConnect: false`) connects it. */
export function createParleyClient(options: ParleyClientOptions): ParleyClient {
  return new ParleyClient(options);
}

