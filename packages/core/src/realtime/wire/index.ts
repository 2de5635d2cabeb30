/**
 * `@parley/core/protocol`: the wire protocol as zod schemas, both directions, for clients.
 * Browser-safe: nothing here (or below) imports Node built-ins, so a client bundles it.
 */
export { CloseCode } from './close-codes.js';
export { CLIENT_EVENTS, SUCCESS_REPLIES, clientEventSchemas, clientFrameSchema, type ClientEvent, type ClientFrame, type ServerFrame } from '../protocol.js';
export { ERROR_CODES, type ErrorCode, type ChatErrorDetails, type FieldIssue } from '../../domain/errors.js';
export { MESSAGE_TYPES } from '../../domain/types.js';
export type {
  Attachment,
  AttachmentRecord,
  AttachmentStatus,
  ChangesSince,
  Conversation,
  ConversationListItem,
  ConversationType,
  Member,
  MemberRole,
  Message,
  MessagePage,
  MessageType,
  Page,
  ReactionSummary,
  ThreadReadState,
  ThreadSummary,
} from '../../domain/types.js';
export type { Pin, PinRecord } from '../../domain/pins.js';
export type { MessageHistory, MessageVersion } from '../../domain/edit-history.js';
export type { SendMessageInput, CreateUploadInput } from '../../domain/schemas.js';
export type { AttachmentInfo, UploadSlot, AttachmentDownload } from '../../attachments/attachment-service.js';
export * from './domain.js';
export * from './message-form.js';
export * from './rest.js';
export * from './pins.js';
export * from './server-events.js';
export * from './client-events.js';
export * from './frames.js';
export * from './moderation.js';
