import { z } from 'zod';
import type { ChatStore } from './adapters/chat-store.js';
import type { PresenceStore } from './adapters/presence-store.js';
import type { RateLimiter } from './adapters/rate-limiter.js';
import { ChatError } from './domain/errors.js';
import { resolveLimits, type ChatLimits } from './domain/limits.js';
import { createSchemas } from './domain/schemas.js';
import { createMemoryPresence } from './memory/memory-presence.js';
import { createMemoryRateLimiter } from './memory/memory-rate-limiter.js';
import { AttachmentPurge } from './attachments/attachment-purge.js';
import { AttachmentService, DEFAULT_ATTACHMENT_OPTIONS, type AttachmentOptions } from './attachments/attachment-service.js';
import { HookRunner, type HookOptions } from './extensions/hooks.js';
import { Capabilities, type CapabilityOverrides } from './domain/capabilities.js';
import { CAPABILITIES } from './domain/types.js';
import { RateLimits } from './services/rate-limits.js';
import { ChatEvents } from './services/chat-events.js';
import { ConversationService } from './services/conversation-service.js';
import { MembershipCache } from './services/membership-cache.js';
import { MessageService } from './services/message-service.js';
import { ThreadService } from './services/thread-service.js';
import { ModerationService } from './services/moderation-service.js';
import { PinService } from './services/pin-service.js';
import {
  DEFAULT_NOTIFICATION_RETRY,
  NotificationDispatcher,
  type NotificationRetryOptions,
  type Notifier,
} from './services/notification-dispatcher.js';
import { SendBatcher } from './services/send-batcher.js';
import { DEFAULT_RETENTION_OPTIONS, MAX_RETENTION_SECONDS, MIN_RETENTION_SECONDS, RetentionService, type RetentionOptions } from './services/retention-service.js';
import { UserDataService } from './services/user-data-service.js';
import type { ResolveUsers, ServiceContext } from './services/service-context.js';
import { DEFAULT_STORE_RETRY, guardStore, type StoreHealth, type StoreRetryOptions } from './services/store-guard.js';
import { silentLogger, type Logger } from './util/logger.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { resolveWebhookOptions, webhookOptionsSchema, type WebhookOptions } from './webhooks/webhook-options.js';
import { WebhookWriter } from './webhooks/webhook-writer.js';

export interface ChatServicesOptions {
  /** Where conversations and messages live (memory, SQLite, Postgres). */
  store: ChatStore;
  /** Online state, typing and caches. Default: in-memory (one process). */
  presence?: PresenceStore;
  /** Per-user limits (messages, typing). Default: in-memory (per process); the Redis one holds across nodes. */
  rateLimiter?: RateLimiter;
  /** Push hook for offline members; enables the durable notification outbox. */
  notifier?: Notifier;
  /** Profiles for member lists and system messages; also rejects unknown user ids. */
  resolveUsers?: ResolveUsers;
  /** Changes to what each role may do, per conversation type (see DEFAULT_CAPABILITIES). */
  capabilities?: CapabilityOverrides;
  /** The host's checks before sends, edits, additions and joins (reject or rewrite). */
  hooks?: HookOptions;
  /** File uploads: where the bytes live, and the upload and purge policy. Without it, uploads are off. */
  attachments?: AttachmentOptions;
  /**
   * Message retention: `defaultSeconds` removes messages older than that in every conversation
   * without its own retention (which only the host sets: `retention.setConversationRetention`).
   * Default: messages are kept forever; the job still runs for conversations with their own.
   */
  retention?: Partial<RetentionOptions>;
  /** Overrides of SPEC §6's limits. */
  limits?: Partial<ChatLimits>;
  /** Retry policy of the notification outbox. */
  notificationRetry?: Partial<NotificationRetryOptions>;
  /**
   * Signed webhooks to the host's endpoints (docs/webhooks.md): each event is written with the
   * change that raised it, one delivery row per endpoint, and sent with retries.
   */
  webhooks?: WebhookOptions;
  /** How long membership stays cached without an invalidation. Default 60 s. */
  membershipTtlMs?: number;
  /** Retries of store calls that failed transiently (the adapter says so). Default 4 attempts from 15 ms. */
  storeRetry?: Partial<StoreRetryOptions>;
  logger?: Logger;
  /** Clock in ms; tests pass a fake one. */
  now?: () => number;
}

export interface ChatServices {
  conversations: ConversationService;
  messages: MessageService;
  /** Thread pages and per-thread read positions (replies are sent with `messages.sendMessage`). */
  threads: ThreadService;
  /** Bans, muting members, slow mode, blocks, reports and the audit log. */
  moderation: ModerationService;
  /** Pinned messages: pin, unpin, list. */
  pins: PinService;
  events: ChatEvents;
  membership: MembershipCache;
  store: ChatStore;
  presence: PresenceStore;
  limits: ChatLimits;
  /** Per-user rate limits, for the services and the realtime hub. */
  rateLimits: RateLimits;
  /** Upload slots, checks and download links (`enabled` when a storage is configured). */
  attachments: AttachmentService;
  /** Present when a notifier is configured. */
  notifications: NotificationDispatcher | null;
  /** Sends webhooks, lists dead letters and redelivers; present when endpoints are configured. */
  webhooks: WebhookDispatcher | null;
  /** Deletes unused and released files; present when uploads are enabled. */
  attachmentPurge: AttachmentPurge | null;
  /** Message retention: the periodic job (`runOnce` for a pass now) and the host's per-conversation setting. */
  retention: RetentionService;
  /** A user's own data: the NDJSON export and the erase (host level). */
  userData: UserDataService;
  /**
   * Resolves once the store has started (`store.init`: migrations, pools). Calls wait for it
   * anyway; await it at startup to fail fast. A failed start is tried again by later calls.
   */
  ready(): Promise<void>;
  /**
   * The store answers (`ping`) and its writes are not failing — a store can answer pings
   * while every write fails (a full disk). `/health` and the hub's health check use it.
   */
  storeHealth(): Promise<StoreHealth>;
  /** Stores what is queued, stops the outbox, and closes the adapters. */
  close(): Promise<void>;
}

const adapter = (methods: string[]) =>
  z.custom<object>(
    (v) => typeof v === 'object' && v !== null && methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
    `must implement ${methods.join(', ')}`,
  );

const positive = z.number().int().positive();
const hookFn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function or a list of functions');
const hookList = z.union([hookFn, z.array(hookFn)]).optional();
const optionsSchema = z.object({
  store: adapter(['insertMessages', 'listMessages', 'createConversation', 'changeConversation', 'ping']),
  presence: adapter(['addSocket', 'removeSocket', 'setTyping']).optional(),
  rateLimiter: adapter(['consume']).optional(),
  notifier: z.custom<Notifier>((v) => typeof v === 'function', 'must be a function').optional(),
  resolveUsers: z.custom<ResolveUsers>((v) => typeof v === 'function', 'must be a function').optional(),
  limits: z
    .object({
      maxContentLength: positive,
      maxAttachments: z.number().int().min(0),
      maxAttachmentBytes: positive,
      maxPageSize: positive,
      maxDistinctReactions: positive,
      maxEmojiLength: positive,
      maxGroupMembers: z.number().int().min(2),
      maxMetadataBytes: positive,
      maxMetadataDepth: positive,
      maxPinsPerConversation: positive,
      messageRate: z.object({ limit: positive, windowMs: positive }).partial(),
    })
    .partial()
    .optional(),
  notificationRetry: z
    .object({ pollIntervalMs: positive, maxAttempts: positive, baseDelayMs: positive, maxDelayMs: positive, leaseMs: positive, batchSize: positive })
    .partial()
    .optional(),
  capabilities: z
    .partialRecord(z.enum(['group', 'direct']), z.partialRecord(z.enum(['owner', 'admin', 'member']), z.array(z.enum(CAPABILITIES))))
    .optional(),
  hooks: z
    .object({
      beforeSend: hookList,
      beforeEdit: hookList,
      beforeAddMembers: hookList,
      beforeJoin: hookList,
      timeoutMs: positive.optional(),
      onFailure: z.enum(['reject', 'allow']).optional(),
    })
    .optional(),
  attachments: z
    .object({
      storage: adapter(['createUpload', 'inspect', 'createDownload', 'delete']),
      unusedTtlMs: positive.optional(),
      uploadUrlTtlMs: positive.optional(),
      downloadUrlTtlMs: positive.optional(),
      uploadRate: z.object({ limit: positive, windowMs: positive }).optional(),
      purgeIntervalMs: positive.optional(),
    })
    .optional(),
  retention: z
    .object({
      defaultSeconds: z.nullable(z.number().int().min(MIN_RETENTION_SECONDS).max(MAX_RETENTION_SECONDS)),
      intervalMs: positive,
      batchSize: positive,
      leaseMs: positive,
    })
    .partial()
    .optional(),
  webhooks: webhookOptionsSchema.optional(),
  membershipTtlMs: positive.optional(),
  storeRetry: z.object({ attempts: positive, baseDelayMs: z.number().min(0) }).partial().optional(),
  logger: adapter(['debug', 'info', 'warn', 'error']).optional(),
  now: z.custom<() => number>((v) => typeof v === 'function', 'must be a function').optional(),
});

/**
 * Builds Parley's services over the host's adapters. Options are checked up front: one error
 * lists every bad option.
 */
export function createChatServices(options: ChatServicesOptions): ChatServices {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'options', message: i.message }));
    throw new ChatError('VALIDATION_FAILED', `Invalid Parley options — ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, {
      field: issues[0]?.field,
      issues,
    });
  }
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const limits = resolveLimits(options.limits);
  const { store, ready, health } = guardStore(options.store, logger, { ...DEFAULT_STORE_RETRY, ...options.storeRetry });
  const presence = options.presence ?? createMemoryPresence({ now });
  const events = new ChatEvents(logger);
  const rateLimits = new RateLimits(options.rateLimiter ?? createMemoryRateLimiter({ now }), logger, now);
  const membership = new MembershipCache(store, { ttlMs: options.membershipTtlMs ?? 60_000, maxEntries: 50_000, now });
  const batcher = new SendBatcher(store);
  const notifications =
    options.notifier === undefined
      ? null
      : new NotificationDispatcher(store, presence, options.notifier, { ...DEFAULT_NOTIFICATION_RETRY, ...options.notificationRetry }, logger, now);

  const webhookConfig = resolveWebhookOptions(options.webhooks);
  const webhooks = webhookConfig.endpoints.length === 0 ? null : new WebhookDispatcher(store, webhookConfig.endpoints, webhookConfig.settings, logger, now);

  const attachmentOptions = options.attachments === undefined ? null : { ...DEFAULT_ATTACHMENT_OPTIONS, ...options.attachments };
  const attachmentPurge =
    attachmentOptions === null
      ? null
      : new AttachmentPurge(store, attachmentOptions.storage, { intervalMs: attachmentOptions.purgeIntervalMs, leaseMs: 5 * 60_000, batchSize: 100 }, logger, now);

  const ctx: ServiceContext = {
    store,
    presence,
    events,
    membership,
    batcher,
    rateLimits,
    hooks: new HookRunner(options.hooks ?? {}, logger),
    capabilities: new Capabilities(options.capabilities),
    schemas: createSchemas(limits),
    limits,
    logger,
    now,
    resolveUsers: options.resolveUsers,
    notifications: notifications !== null,
    webhooks: new WebhookWriter(webhookConfig.endpoints, now),
    onNotificationQueued: () => notifications?.kick(),
    onFilesReleased: () => attachmentPurge?.kick(),
    conversationCacheTtlMs: 5 * 60_000,
  };
  notifications?.start();
  attachmentPurge?.start();
  const retention = new RetentionService(ctx, { ...DEFAULT_RETENTION_OPTIONS, ...options.retention });
  retention.start();
  if (webhooks !== null && webhookConfig.settings.deliver) {
    // Every change that writes webhook rows also raises a chat event: send them at once
    // rather than at the next poll.
    const kick = () => webhooks.kick();
    for (const name of ['message_created', 'message_edited', 'message_deleted', 'conversation_updated', 'membership_changed'] as const) events.on(name, kick);
    webhooks.start();
  }
  const attachments = new AttachmentService(ctx, attachmentOptions);

  const messages = new MessageService(ctx, attachments);
  return {
    conversations: new ConversationService(ctx),
    messages,
    threads: new ThreadService(ctx),
    moderation: new ModerationService(ctx, messages),
    pins: new PinService(ctx, messages),
    attachments,
    attachmentPurge,
    retention,
    userData: new UserDataService(ctx),
    events,
    membership,
    store,
    presence,
    limits,
    rateLimits,
    notifications,
    webhooks,
    ready,
    async storeHealth() {
      await store.ping();
      return health();
    },
    async close() {
      await batcher.drain();
      await notifications?.stop();
      await retention.stop();
      await webhooks?.stop();
      await attachmentPurge?.stop();
      events.removeAllListeners();
      await options.store.close?.();
      await options.presence?.close?.();
      await options.rateLimiter?.close?.();
      await options.attachments?.storage.close?.();
    },
  };
}
