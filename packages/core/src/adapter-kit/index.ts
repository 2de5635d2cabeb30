/**
 * `@parley/core/adapter-kit`: what a storage adapter's author needs and a host does not —
 * the failure marks core reads, the unread rule, paging and text helpers shared by every
 * store, so each rule is written once.
 */
export { markStoreFailure, storeFailureKind, classifyStoreFailures, type StoreFailureKind } from './store-failure.js';
export { countsAsUnread, countsAsThreadUnread, inTimeline, mentions, unreadCondition, timelineCondition, threadUnreadCondition } from './unread.js';
export { aroundSplit, pageRange, tally, countBy, type SeqRange } from '../util/collections.js';
export { foldText, searchTerms, escapeLike } from '../util/text.js';
export {
  memberFromRow,
  conversationRecordFromRow,
  conversationFromRow,
  messageFromRow,
  insertedMessage,
  summariesInOrder,
  unreadStateFromRow,
  pinFromRow,
  threadReadStateFromRow,
  type PinRow,
  type ThreadReadStateRow,
  type UnreadStateRow,
  attachmentFromRow,
  banFromRow,
  reportFromRow,
  reportValues,
  REPORT_COLUMNS,
  auditFromRow,
  auditValues,
  AUDIT_COLUMNS,
  type BanRow,
  type ReportRow,
  type DecodedAuditRow,
  attachmentValues,
  ATTACHMENT_COLUMNS,
  type AttachmentRow,
  type ConversationRow,
  type MemberRow,
  type DecodedMessageRow,
} from './sql-rows.js';
export { claimable, claimCondition, uploadedIds, servesInline, downloadHeaders, dispositionHeader } from './attachments.js';
export { WEBHOOK_DELIVERY_COLUMNS, webhookDeliveryFromRow, type WebhookDeliveryRow } from './webhook-rows.js';
