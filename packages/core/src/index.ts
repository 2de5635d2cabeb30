export * from './domain/errors.js';
export * from './domain/types.js';
export type * from './domain/pins.js';
export type * from './domain/edit-history.js';
export * from './domain/limits.js';
export * from './domain/schemas.js';
export { validate } from './domain/validate.js';
export type * from './adapters/chat-store.js';
export type * from './adapters/presence-store.js';
export type * from './adapters/broker.js';
export type * from './adapters/rate-limiter.js';
export type * from './adapters/attachment-store.js';
export {
  AttachmentService,
  DEFAULT_ATTACHMENT_OPTIONS,
  type AttachmentOptions,
  type AttachmentInfo,
  type AttachmentDownload,
  type UploadSlot,
} from './attachments/attachment-service.js';
export { AttachmentPurge } from './attachments/attachment-purge.js';
export { sanitizeFileName } from './attachments/file-name.js';
export { sniffType, SNIFF_BYTES } from './attachments/sniff-type.js';
export {
  reject,
  type HookOptions,
  type SendDraft,
  type BeforeSend,
  type BeforeEdit,
  type BeforeAddMembers,
  type BeforeJoin,
  type BeforeSendContext,
  type BeforeEditContext,
  type BeforeAddMembersContext,
  type BeforeJoinContext,
} from './extensions/hooks.js';
export { createWordFilter, type WordFilterOptions } from './extensions/word-filter.js';
export { createMemoryStore, createMemoryDatabase, type MemoryStoreOptions, type MemoryDatabase } from './memory/memory-store.js';
export { createMemoryAttachmentStore, type MemoryAttachmentStore } from './memory/memory-attachment-store.js';
export { createMemoryPresence, type MemoryPresenceOptions } from './memory/memory-presence.js';
export { createMemoryBroker, createMemoryBus, type MemoryBus } from './memory/memory-broker.js';
export { createMemoryRateLimiter } from './memory/memory-rate-limiter.js';
export { RateLimits } from './services/rate-limits.js';
export { ChatEvents, type ActionContext, type ChatEventMap, type ConversationUpdateType } from './services/chat-events.js';
export { ConversationService, MUTED_FOREVER, type MemberWithProfile } from './services/conversation-service.js';
export { MessageService, type ReactionResult, type ChangeCursorInput } from './services/message-service.js';
export { ThreadService, type ThreadPage } from './services/thread-service.js';
export { MembershipCache, type ConversationFacts } from './services/membership-cache.js';
export { ModerationService } from './services/moderation-service.js';
export {
  RetentionService,
  DEFAULT_RETENTION_OPTIONS,
  MIN_RETENTION_SECONDS,
  MAX_RETENTION_SECONDS,
  type RetentionOptions,
  type RetentionRun,
} from './services/retention-service.js';
export { UserDataService, USER_EXPORT_FORMAT, type UserExportLine, type EraseResult } from './services/user-data-service.js';
export { PinService, type UnpinResult } from './services/pin-service.js';
export { Capabilities, DEFAULT_CAPABILITIES, type CapabilityTable, type CapabilityOverrides } from './domain/capabilities.js';
export {
  NotificationDispatcher,
  DEFAULT_NOTIFICATION_RETRY,
  type Notification,
  type Notifier,
  type NotificationRetryOptions,
} from './services/notification-dispatcher.js';
export type { ResolveUsers, UserProfile } from './services/service-context.js';
export { createChatServices, type ChatServices, type ChatServicesOptions } from './create-chat-services.js';
export type { StoreRetryOptions } from './services/store-guard.js';
export { directKey, newId } from './util/ids.js';
export { silentLogger, type Logger } from './util/logger.js';
export type { HubMeter } from './realtime/hub-meter.js';
export { RealtimeHub, type RealtimeHubOptions, type HubEventMap, type ConnectionHandle, type ConnectionOptions, type HubHealth, type ResyncReason } from './realtime/realtime-hub.js';
export { CloseCode, CLIENT_EVENTS, SUCCESS_REPLIES, clientEventSchemas, clientFrameSchema, type ClientEvent, type ClientFrame, type ServerFrame } from './realtime/protocol.js';
export type { SocketLike } from './realtime/socket-registry.js';
export { admitUser, bearerToken, type Authenticate, type AuthRequest } from './domain/authenticate.js';
export {
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_EVENT_DATA,
  webhookEventSchema,
  type WebhookEvent,
  type WebhookEventType,
  type WebhookEventData,
} from './webhooks/webhook-events.js';
export {
  verifyWebhook,
  signWebhook,
  WEBHOOK_HEADERS,
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  type VerifyWebhookOptions,
  type VerifiedWebhook,
} from './webhooks/webhook-signature.js';
export { WebhookDispatcher, type WebhookDeliveryPage } from './webhooks/webhook-dispatcher.js';
export { DEFAULT_WEBHOOK_SETTINGS, type WebhookOptions, type WebhookEndpointOptions } from './webhooks/webhook-options.js';
