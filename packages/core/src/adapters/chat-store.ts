import type {
  AttachmentRecord,
  AuditEntry,
  Ban,
  Report,
  ReportResolution,
  ReportStatus,
  ChangesSince,
  Conversation,
  ConversationListItem,
  ConversationStats,
  ConversationType,
  Member,
  MemberRole,
  Message,
  MessagePage,
  MessageStats,
  MessageType,
  SearchResult,
  ThreadReadState,
  ThreadSummary,
} from '../domain/types.js';
import type { MessageVersion } from '../domain/edit-history.js';
import type { Pin, PinOutcome, PinRecord } from '../domain/pins.js';

/**
 * The storage contract.
 *
 * **Atomicity.** Every method is atomic on its own (one transaction where the adapter has
 * them). Every rule that spans a read and a write is decided *inside* one store operation:
 * `changeConversation` and `changeReaction` take a decision function from core, call it on
 * the state they read under a per-conversation (per-message) lock, and apply what it returns
 * in the same transaction; `insertMessages` checks membership and allocates `seq` in the
 * insert itself. So the business rules are written once, in core, and no interleaving of
 * calls from any number of processes sharing one database can break them. The conformance
 * kit races several store instances on one database to prove it (`createStores(n)`).
 *
 * **Values.** Timestamps are ISO-8601 strings in UTC (`2026-01-01T00:00:00.000Z`), in and
 * out; counters (`seq`, `version`, counts, `lastReadSeq`) are JavaScript numbers, never
 * bigint or numeric strings. Ids are opaque strings, compared exactly.
 *
 * **Failures.** Stores do no permission checks of their own: those are the decision
 * functions' and the services'. A failure of the backing service is thrown as is, or marked
 * with `markStoreFailure` (`@parley/core/adapter-kit`): `transient` when the call certainly
 * had no effect and may be retried (a serialization failure, a deadlock, a refused
 * connection), `unavailable` when the service is down or the outcome is unknown. Core turns
 * marked failures into `UNAVAILABLE` (after bounded retries of transient ones) and anything
 * else into `INTERNAL`: a bug is never reported as an outage.
 */
export interface ChatStore {
  /**
   * Optional asynchronous start (migrations, pools). `createChatServices` calls it once and
   * every store call waits for it; a start that failed is tried again by the next call.
   * Must be safe when several processes start at once.
   */
  init?(): Promise<void>;

  /**
   * Creates a conversation with its first members. For a direct conversation, `directKey`
   * is unique across the store: when one with the same key exists, it is returned instead
   * (`created: false`) and nothing is written.
   */
  createConversation(input: NewConversation): Promise<{ conversation: Conversation; created: boolean }>;
  getConversation(conversationId: string): Promise<Conversation | null>;
  /** The id of the direct conversation with this `directKey` (the sorted pair), if there is one. */
  findDirectConversation(directKey: string): Promise<string | null>;
  /**
   * The unit of work for everything that changes who is in a conversation or what it is
   * called. Under a per-conversation lock, the store reads the conversation and its
   * members, calls `decide` with them (null when the conversation does not exist), and
   * applies the returned plan in the same transaction. `decide` is synchronous and pure; it
   * may throw (a `ChatError`), which rolls everything back and reaches the caller as thrown.
   * A store may call it more than once (when it retries a transaction).
   */
  changeConversation<T>(conversationId: string, at: string, decide: ConversationDecision<T>): Promise<ConversationChange<T>>;
  /** Ordered by last activity (updatedAt desc, id desc), starting after `after`. */
  listConversations(userId: string, query: ConversationListQuery): Promise<ConversationListRow[]>;
  getConversationStats(userId: string, now: string): Promise<ConversationStats>;
  /**
   * For each of `userIds` who is a member: the messages counting as unread for them in this
   * conversation (see `countsAsUnread` in the adapter kit), the first of them, and their unread
   * total over all their conversations that are not archived. Non-members are left out.
   */
  unreadSummary(conversationId: string, userIds: string[]): Promise<UnreadSummary[]>;
  /**
   * The user's unread state in every conversation they are a member of, read in one snapshot,
   * each with the conversation's `lastSeq` in that snapshot: the counts cover exactly the
   * messages up to it. The realtime hub keeps pushed counts in step from this (adding the
   * messages it sees go by above `lastSeq`) instead of counting again for every push — which
   * relies on what every store here does anyway: within a conversation, messages commit in
   * seq order, so a snapshot holding seq n holds every message below it.
   */
  unreadStates(userId: string): Promise<UnreadState[]>;
  listUserConversationIds(userId: string): Promise<string[]>;
  /** Everyone who shares at least one conversation with the user, the user excluded; in one query. */
  listContacts(userId: string): Promise<string[]>;

  getMember(conversationId: string, userId: string): Promise<Member | null>;
  /** Ordered by joinedAt, then userId: the first is the oldest member. */
  listMembers(conversationId: string): Promise<Member[]>;
  /** The member's own settings (mute, archive); roles change only through `changeConversation`. */
  updateMemberSettings(conversationId: string, userId: string, patch: MemberSettings): Promise<Member | null>;

  /**
   * Stores a batch of messages in order, in one transaction, and answers each:
   * - `created`: stored with the conversation's next `seq` and next `version` (the change
   *   counter, bumped by inserts and by every change, so it never falls below lastSeq);
   *   lastMessage and updatedAt move with it; `notify` also writes a notification outbox
   *   row in the same transaction;
   * - `duplicate`: a message with this (conversationId, senderId, clientMessageId) is stored
   *   already; it is returned as stored and nothing is written;
   * - `refused`: the sender is not a member, or is silenced at the message's `createdAt`
   *   (checked by the insert itself, whatever any cache says; `system` messages are exempt),
   *   or the conversation does not exist (`reason:
   *   'not_member'`); or one of its uploaded attachments (those with an `id`) cannot be used
   *   (`reason: 'attachment'`); nothing written.
   *
   * A created message **claims** its uploaded attachments in the same transaction: each must be
   * `complete`, uploaded by the sender for this conversation, and used by no other message;
   * its `messageId` is set. So of two messages naming one attachment, only one is stored.
   */
  insertMessages(batch: NewMessage[]): Promise<InsertResult[]>;
  /** The message stored under this idempotency key, if any. */
  getMessageByClientId(conversationId: string, senderId: string, clientMessageId: string): Promise<Message | null>;
  /** The message as `viewerId` sees it: null when missing or hidden for that viewer. */
  getMessage(messageId: string, viewerId?: string): Promise<Message | null>;
  listMessages(conversationId: string, viewerId: string, query: MessageRange): Promise<MessagePage>;
  /**
   * Sets content and editedAt unless the message was deleted for everyone (then null). The text
   * it replaces is kept as a `MessageVersion` in the same transaction (edit history). With
   * `webhooks`, writes the deliveries it builds from the edited message in the same transaction.
   */
  updateMessageContent(messageId: string, content: string, editedAt: string, webhooks?: WebhookWrite<Message>): Promise<Message | null>;
  /**
   * A message's earlier texts, oldest first (in the order the edits were stored), skipping the
   * first `offset` and at most `limit`; empty when never edited. A history only grows at its
   * end (or is cleared whole), so an offset names the same version on every call.
   */
  listMessageHistory(messageId: string, offset: number, limit: number): Promise<MessageVersion[]>;
  /**
   * Clears content, attachments, metadata and reactions; keeps the row as a tombstone. The
   * uploaded attachments it used become `purging` in the same transaction, so their bytes go;
   * its edit history and its pin are removed in it too.
   * With `webhooks`, writes the deliveries it builds from the tombstone in the same transaction,
   * only when this call deleted it (not when it was deleted already).
   */
  deleteMessageForEveryone(messageId: string, deletedAt: string, webhooks?: WebhookWrite<Message>): Promise<Message | null>;
  /**
   * Hides the message for one user and bumps the conversation's version, so catch-up reports
   * it; returns that version, or null when nothing changed (missing, or hidden already).
   */
  hideMessageForUser(messageId: string, userId: string): Promise<{ version: number } | null>;
  /**
   * The unit of work for reactions: under a lock on the message, reads what `decide` needs
   * (null when the message does not exist), and applies its answer in the same transaction.
   * `decide` is synchronous and pure and may throw; caps and toggling are its business.
   */
  changeReaction(messageId: string, userId: string, emoji: string, at: string, decide: ReactionDecision): Promise<ReactionChange>;
  /**
   * Moves lastReadSeq forward only, to `upToSeq` or the latest message, capped at lastSeq.
   * Answers where it stood before (read in the same atomic step, so of two calls at once only
   * one sees it move) and how many unread messages the move covered.
   */
  markRead(conversationId: string, userId: string, upToSeq: number | null, at: string): Promise<ReadMove>;
  /**
   * Sets lastReadSeq to `seq` (capped to 0..lastSeq), back as well as forward: "mark as unread
   * from here". Answers where it stood before, as markRead does; `markedCount` is 0.
   */
  setReadPosition(conversationId: string, userId: string, seq: number, at: string): Promise<ReadMove>;
  /**
   * Catch-up in two independent streams, each paged with its own cursor:
   * - new messages: `seq > since.seq`, ascending, at most `limit`; `hasMore` when more follow;
   * - changes: messages with `seq <= since.seq` whose `version > since.version` (edits,
   *   deletes, reactions) and messages hidden for the viewer since then, together at most
   *   `limit`, in version order; `version` is the cursor for the next call and
   *   `hasMoreChanges` says whether to ask again at once.
   */
  getChangesSince(conversationId: string, viewerId: string, since: ChangeCursor, limit: number): Promise<ChangesSince>;

  /**
   * A page of one thread's replies (the root excluded), ascending by seq, as `listMessages`
   * pages a conversation: `before`, `after` and `around` are seqs. Reads only the page (an
   * index on the thread and seq), never the whole thread.
   */
  listThreadMessages(threadId: string, viewerId: string, range: MessageRange): Promise<MessagePage>;
  /**
   * Moves the user's read position in a thread forward only, to `upToSeq` or the thread's last
   * reply, and makes them follow it. Answers as `markRead` does (`markedCount`: the unread
   * replies the move covered). A thread that does not exist answers all zeros.
   */
  markThreadRead(threadId: string, userId: string, upToSeq: number | null, at: string): Promise<ReadMove>;
  /** The read states of the thread's followers (all of them, or those among `userIds`), by userId. */
  threadReadStates(threadId: string, userIds?: string[]): Promise<ThreadReadState[]>;
  /** The threads of a conversation the user follows, with their unread counts; the latest reply first, at most `limit`. */
  listThreadReadStates(userId: string, conversationId: string, limit: number): Promise<ThreadReadState[]>;

  searchMessages(userId: string, query: SearchQuery): Promise<SearchResult>;
  getMessageStats(conversationId: string): Promise<MessageStats>;

  /**
   * Pins a message, atomically with respect to every other pin of the conversation: under the
   * conversation's lock the store drops the conversation's pins that expired by `pin.pinnedAt`,
   * refuses (`not_found`) a message that is missing, of another conversation or deleted for
   * everyone, replaces the pin of a message pinned already (`replaced: true`), and otherwise
   * refuses (`limit`) when `maxPins` pins are in force.
   */
  pinMessage(pin: PinRecord, maxPins: number): Promise<PinOutcome>;
  /** Removes a message's pin; answers it when it was in force at `now` (null otherwise). */
  unpinMessage(messageId: string, now: string): Promise<PinRecord | null>;
  /** The conversation's pins in force at `now` (expiresAt null or later), newest first (pinnedAt, then messageId, descending). */
  listPins(conversationId: string, now: string): Promise<Pin[]>;

  /** Stores a new upload slot, as given (its status is `pending`). */
  createAttachment(record: AttachmentRecord): Promise<void>;
  getAttachment(attachmentId: string): Promise<AttachmentRecord | null>;
  /**
   * Marks a `pending` attachment `complete`, with the type sniffed from its bytes. Answers the
   * row after the call — unchanged when it was not pending — or null when there is none.
   */
  completeAttachment(attachmentId: string, mimeType: string, completedAt: string): Promise<AttachmentRecord | null>;
  /**
   * Leases up to `limit` attachments whose bytes are to be deleted, oldest first: `purging` ones
   * without a live lease, and unused ones (no message) past `expiresAt`, which become `purging`
   * here so that no send can claim them any more. Safe on several nodes: each attachment goes
   * to one caller until its lease (`leaseMs` from `now`) runs out.
   */
  claimAttachmentPurge(now: string, limit: number, leaseMs: number): Promise<AttachmentPurge[]>;
  /** Removes the rows, once their bytes are gone. */
  deleteAttachments(attachmentIds: string[]): Promise<void>;

  /**
   * User `userId` blocks (`blocked: true`) or unblocks `blockedId`; answers whether anything
   * changed. Blocks are personal, not per conversation.
   */
  setBlock(userId: string, blockedId: string, blocked: boolean, at: string): Promise<boolean>;
  /** Whom the user blocks, oldest first. */
  listBlocked(userId: string): Promise<string[]>;
  /** The blocks between any two of `userIds` (both directions). */
  blocksAmong(userIds: string[]): Promise<Array<{ userId: string; blockedId: string }>>;

  /**
   * Files a report. One per reporter and message: a second report of the same message by the
   * same user answers the first (`created: false`) and writes nothing. `webhooks` are written
   * with the report, in its transaction, only when it is created.
   */
  createReport(report: Report, webhooks?: NewWebhookDelivery[]): Promise<{ report: Report; created: boolean }>;
  getReport(reportId: string): Promise<Report | null>;
  /** The review queue, oldest first (createdAt, then id), after `after`. */
  listReports(query: ReportQuery): Promise<Report[]>;
  /**
   * Resolves the open reports of one id or of one message, in one transaction with `audit`
   * (written only when something was resolved); answers those it resolved — none when another
   * moderator was first. `webhooks` builds deliveries from the resolved reports (called only
   * when there are some), written in the same transaction.
   */
  resolveReports(
    target: { reportId: string } | { messageId: string },
    resolution: ReportResolution,
    resolvedBy: string,
    at: string,
    audit?: AuditEntry,
    webhooks?: WebhookWrite<Report[]>,
  ): Promise<Report[]>;

  /** Records moderation actions that did not go through `changeConversation` (deleting others' messages). */
  appendAudit(entries: AuditEntry[]): Promise<void>;
  /** A conversation's audit log, newest first (createdAt, then id), before `before`. */
  listAudit(conversationId: string, query: { limit: number; before?: { createdAt: string; id: string } }): Promise<AuditEntry[]>;

  /**
   * Sets a conversation's own retention in seconds, or clears it (null: the global retention
   * applies). Answers the conversation after the change, or null when there is none.
   */
  setConversationRetention(conversationId: string, seconds: number | null): Promise<Conversation | null>;
  /**
   * Removes up to `pass.limit` messages past retention, in one transaction: for each
   * conversation whose retention (its own, else `pass.defaultSeconds`) is set, its oldest
   * messages created before `pass.now` minus that many seconds, in seq order, stopping at the
   * first younger one — so what goes is always a prefix of the timeline, and `truncatedBefore`
   * (the lowest seq left) says where it ends. With the messages go their reactions, hidden
   * rows, search rows and outbox rows; their uploaded attachments become `purging` (the
   * attachment purge deletes their bytes); a conversation's lastMessage becomes null when it
   * went. Idempotent, and safe when several callers run at once: each message goes once.
   * Answers one entry per conversation it removed something from.
   */
  purgeExpiredMessages(pass: RetentionPass): Promise<RetentionPurged[]>;
  /**
   * Takes the named job's lease for `holder` until `now + leaseMs`, or renews it: true when
   * `holder` holds it after the call, false when another holder's lease is still running.
   * Lets several nodes run a periodic job with one of them working at a time.
   */
  acquireJobLease(job: string, holder: string, now: string, leaseMs: number): Promise<boolean>;
  /** Gives the lease up, when `holder` holds it; otherwise does nothing. */
  releaseJobLease(job: string, holder: string): Promise<void>;

  /** One page of the messages `userId` sent, every conversation, ordered by (createdAt, id), after `after`. */
  listUserMessages(userId: string, after: { createdAt: string; id: string } | null, limit: number): Promise<Message[]>;
  /** One page of the reactions `userId` made, ordered by (messageId, emoji), after `after`. */
  listUserReactions(userId: string, after: { messageId: string; emoji: string } | null, limit: number): Promise<UserReaction[]>;
  /** Every membership of `userId` (with its read position), ordered by conversationId. */
  listUserMemberships(userId: string): Promise<Member[]>;
  /**
   * One pass of erasing a user's data, in one transaction: up to `limit` of their messages
   * not yet tombstoned become tombstones (as `deleteMessageForEveryone`: content, attachments,
   * metadata and reactions cleared, search rows removed, attachments `purging`, version
   * bumped); up to `limit` of their reactions elsewhere are removed (each message's version
   * bumped); and, every pass, their read positions are reset (lastReadSeq 0, lastReadAt
   * null), the outbox rows of their messages deleted and every attachment they uploaded made
   * `purging`. `done` when nothing of theirs was left for another pass. Idempotent: a pass
   * after a crash mid-erase continues where the last committed one stopped. With `webhooks`,
   * writes the deliveries it builds from each tombstone in the same transaction.
   */
  eraseUserData(userId: string, at: string, limit: number, webhooks?: WebhookWrite<Message>): Promise<ErasePass>;

  claimOutbox(now: string, limit: number, leaseMs: number): Promise<OutboxEntry[]>;
  completeOutbox(ids: string[]): Promise<void>;
  /** Schedules another attempt at `nextAttemptAt`, or parks the entry as dead when null. */
  failOutbox(id: string, error: string, nextAttemptAt: string | null): Promise<void>;
  /** Counts by status, for health and tests. */
  outboxStats(): Promise<{ pending: number; dead: number }>;

  /**
   * Leases up to `limit` pending webhook deliveries due at `now` (nextAttemptAt <= now), oldest
   * due first: each one's `attempts` goes up by one and its nextAttemptAt moves to `now + leaseMs`,
   * so no other caller claims it until the lease runs out (a crashed node). Safe on several nodes.
   */
  claimWebhookDeliveries(now: string, limit: number, leaseMs: number): Promise<WebhookDelivery[]>;
  /** Marks a pending delivery `delivered` (whichever attempt succeeded); false when it was not pending. */
  completeWebhookDelivery(id: string, deliveredAt: string): Promise<boolean>;
  /**
   * Records a failed attempt: schedules the next at `nextAttemptAt`, or parks the delivery as
   * `dead` when null. Applies only while the delivery is pending and `attempt` is still its
   * latest claim, so a node whose lease ran out cannot undo what a later claim did.
   */
  failWebhookDelivery(id: string, attempt: number, error: string, nextAttemptAt: string | null): Promise<boolean>;
  /** Deliveries by status (all when absent), oldest first (createdAt, then id), after `after`. */
  listWebhookDeliveries(query: WebhookDeliveryQuery): Promise<WebhookDelivery[]>;
  getWebhookDelivery(id: string): Promise<WebhookDelivery | null>;
  /**
   * Makes a `dead` or `delivered` delivery pending again, due at `now`, its attempts back to 0,
   * keeping its id (receivers dedup by it). Answers it, or null when there is none or it is
   * pending already.
   */
  redeliverWebhook(id: string, now: string): Promise<WebhookDelivery | null>;
  /** Removes up to `limit` deliveries delivered before `before`; answers how many. */
  pruneWebhookDeliveries(before: string, limit: number): Promise<number>;

  /** Resolves when the store can serve requests. */
  ping(): Promise<void>;
  close?(): Promise<void>;
}

/** One retention pass: see `purgeExpiredMessages`. */
export interface RetentionPass {
  now: string;
  /** The global retention in seconds, for conversations without their own; null: none. */
  defaultSeconds: number | null;
  /** At most this many messages in this pass (a large purge goes in several). */
  limit: number;
}

export interface RetentionPurged {
  conversationId: string;
  /** How many messages this pass removed from the conversation. */
  removed: number;
  /** The lowest seq left after the pass: every message below it is gone. */
  truncatedBefore: number;
}

/** A reaction a user made, for their data export. */
export interface UserReaction {
  messageId: string;
  conversationId: string;
  emoji: string;
  createdAt: string;
}

/** What one `eraseUserData` pass changed. */
export interface ErasePass {
  /** Messages of the user turned into tombstones in this pass, as stored after it. */
  tombstoned: Message[];
  /** Other messages that lost the user's reactions in this pass, as stored after it. */
  unreacted: Array<{ message: Message; emoji: string[] }>;
  /** Nothing of the user's was left for another pass. */
  done: boolean;
}

export interface UnreadSummary {
  userId: string;
  unreadCount: number;
  /** The seq of the first message counting as unread, for "jump to first unread"; null when none. */
  firstUnreadSeq: number | null;
  totalUnread: number;
  /** Of `unreadCount`, the messages that mention the user or everyone. */
  mentionCount?: number;
}

/** A member's unread state in one conversation (`unreadStates`). */
export interface UnreadState {
  conversationId: string;
  /** As in `UnreadSummary`: the messages counting as unread, the first of them, those mentioning the member. */
  unreadCount: number;
  firstUnreadSeq: number | null;
  mentionCount: number;
  /** Archived by the member: left out of their total. */
  archived: boolean;
  /** The conversation's last seq in the same snapshot as the counts. */
  lastSeq: number;
}

/** An attachment whose bytes a purge may delete now. */
export interface AttachmentPurge {
  id: string;
  storageKey: string;
}

export interface ReadMove {
  previousReadSeq: number;
  lastReadSeq: number;
  markedCount: number;
}

export interface MemberSeed {
  userId: string;
  role: MemberRole;
}

/** A conversation as a service hands it to the store: the store adds the counters. */
export type NewConversation = Pick<Conversation, 'id' | 'type' | 'name' | 'description' | 'avatarUrl' | 'createdBy' | 'createdAt'> & {
  /** For direct conversations: the sorted pair, unique across the store. Null for groups. */
  directKey: string | null;
  members: MemberSeed[];
  /** Webhook deliveries written in the same transaction, only when the conversation is created. */
  webhooks?: NewWebhookDelivery[];
};

/** A row of a user's list as the store has it; the services add what follows from the role (capabilities). */
export type ConversationListRow = Omit<ConversationListItem, 'capabilities'>;

/** A conversation's own row, without its last message. */
export type ConversationRecord = Omit<Conversation, 'lastMessage'>;

export interface ConversationPatch {
  name?: string;
  description?: string | null;
  avatarUrl?: string | null;
  slowModeSeconds?: number;
}

export interface ReportQuery {
  conversationId?: string;
  status?: ReportStatus;
  limit: number;
  after?: { createdAt: string; id: string };
}

/** What `changeConversation` hands to its decision: the state read under the lock. */
export interface ConversationState {
  conversation: ConversationRecord;
  /** Ordered by joinedAt, then userId. */
  members: Member[];
  /** Bans in force at the change's time (not expired), ordered by userId. */
  bans: Ban[];
}

/** What a decision asks the store to write, all in one transaction. */
export interface ConversationPlan {
  /** New members (ids already in are skipped); their read position starts at lastSeq. */
  add?: MemberSeed[];
  remove?: string[];
  /** Role changes of current members (applied after `remove`). */
  roles?: MemberSeed[];
  /** Name, description, avatar or slow mode; also moves updatedAt to the change's time. */
  profile?: ConversationPatch;
  /** Bans to record (replacing any earlier ban of the same user); removing them is `remove`'s job. */
  ban?: Array<Omit<Ban, 'conversationId'>>;
  /** Users whose bans are lifted. */
  unban?: string[];
  /** Members muted by a moderator until then (null lifts it). */
  silence?: Array<{ userId: string; until: string | null }>;
  /** Written in the same transaction: the record of a moderation action. */
  audit?: AuditEntry[];
  /** Written in the same transaction: the webhook deliveries of the change's events. */
  webhooks?: NewWebhookDelivery[];
  /**
   * Removes the conversation with its members, messages, reactions, outbox rows, bans, reports,
   * audit log, pins and edit history; its
   * attachments become `purging` (their bytes are deleted by the purge).
   */
  delete?: boolean;
}

export type ConversationDecision<T> = (state: ConversationState | null) => { plan: ConversationPlan; value: T };

export interface ConversationChange<T> {
  /** What the decision returned. */
  value: T;
  /** The conversation after the change; null when it does not exist (or was deleted). */
  conversation: Conversation | null;
  /** Its members after the change, ordered by joinedAt, then userId. */
  members: Member[];
  /** The members the plan added, as stored. */
  added: Member[];
}

export interface MemberSettings {
  mutedUntil?: string | null;
  archivedAt?: string | null;
}

export interface ConversationListQuery {
  type?: ConversationType;
  /** true: only archived; false: only not archived; undefined: both. */
  archived?: boolean;
  /** Case-insensitive substring of name or description, taken literally. */
  search?: string;
  limit: number;
  after?: { updatedAt: string; id: string };
  /** For `muted`: mutedUntil later than now. */
  now: string;
}

/** A message as a service hands it to the store: the store adds seq, version and the rest. */
export type NewMessage = Pick<
  Message,
  'id' | 'conversationId' | 'senderId' | 'type' | 'content' | 'replyToId' | 'attachments' | 'metadata' | 'clientMessageId' | 'createdAt'
> & {
  /** Also write a notification outbox row, in the same transaction. */
  notify: boolean;
  /**
   * A thread reply: the root's id (a timeline message of the same conversation, checked by
   * the service). The insert updates the root's `thread` summary and version (set to the
   * reply's version: one change), and moves the sender's thread read position to the reply.
   */
  threadId?: string | null;
  alsoToConversation?: boolean;
  /** Mentioned members (validated by the service); stored so mention counts can be read. */
  mentions?: string[];
  mentionEveryone?: boolean;
  /** Builds webhook deliveries from the stored message; written in the same transaction, only when created. */
  webhooks?: WebhookWrite<Message>;
};

export type InsertResult =
  | { status: 'created'; message: Message; /** A thread reply's root summary after the insert. */ thread?: ThreadSummary }
  | { status: 'duplicate'; message: Message }
  | { status: 'refused'; message: null; reason: 'not_member' | 'attachment' };

export interface MessageRange {
  before?: number;
  after?: number;
  around?: number;
  limit: number;
}

/** Where a catch-up starts: the last seq and the last change version the client holds. */
export interface ChangeCursor {
  seq: number;
  version: number;
}

/** What `changeReaction` hands to its decision, read under the lock. */
export interface ReactionState {
  deletedForEveryone: boolean;
  /** The user already reacted with this emoji. */
  mine: boolean;
  /** Someone already reacted with this emoji. */
  emojiUsed: boolean;
  /** How many different emoji the message has. */
  distinctEmoji: number;
}

export type ReactionDecision = (state: ReactionState | null) => 'add' | 'remove' | 'none';

export interface ReactionChange {
  action: 'added' | 'removed' | 'unchanged';
  /** The message after the change; null when it does not exist. */
  message: Message | null;
}

export interface SearchQuery {
  /** Words to match, already folded (lower case, no diacritics) and split by the service. */
  terms: string[];
  /** The raw text, for adapters that fall back to a substring match when `terms` is empty. */
  text: string;
  conversationId?: string;
  senderId?: string;
  type?: MessageType;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

export interface OutboxEntry {
  id: string;
  kind: 'message';
  messageId: string;
  conversationId: string;
  attempts: number;
  createdAt: string;
}

/**
 * One webhook event for one endpoint, as core hands it to the store. `(eventId, endpointId)`
 * is unique: one event reaches one endpoint through exactly one delivery row.
 */
export interface NewWebhookDelivery {
  /** The delivery id receivers dedup by (the `Parley-Delivery` header); kept across retries. */
  id: string;
  eventId: string;
  endpointId: string;
  eventType: string;
  /** The conversation the event is about, if any; no foreign key, the row outlives it. */
  conversationId: string | null;
  /** The request body, exactly as it will be sent (JSON). */
  body: string;
  createdAt: string;
}

/**
 * Builds the webhook deliveries of a change from what the store wrote. The store calls it
 * inside the change's transaction and writes what it returns there; it is synchronous and pure.
 */
export type WebhookWrite<R> = (result: R) => NewWebhookDelivery[];

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface WebhookDelivery extends NewWebhookDelivery {
  status: WebhookDeliveryStatus;
  /** Attempts claimed so far (a claim counts as an attempt). */
  attempts: number;
  /** When the next attempt is due (while pending; for a claimed one, when its lease ends). */
  nextAttemptAt: string;
  lastError: string | null;
  deliveredAt: string | null;
}

export interface WebhookDeliveryQuery {
  status?: WebhookDeliveryStatus;
  limit: number;
  after?: { createdAt: string; id: string };
}

/**
 * The contract's methods by concern, so that an adapter can be written as a few files
 * (conversations and members, messages, search, outbox) composed into one store.
 */
export type ConversationStoreMethods = Pick<
  ChatStore,
  | 'createConversation'
  | 'getConversation'
  | 'findDirectConversation'
  | 'changeConversation'
  | 'listConversations'
  | 'getConversationStats'
  | 'unreadSummary'
  | 'unreadStates'
  | 'listUserConversationIds'
  | 'listContacts'
  | 'getMember'
  | 'listMembers'
  | 'updateMemberSettings'
>;

export type MessageStoreMethods = Pick<
  ChatStore,
  | 'insertMessages'
  | 'getMessageByClientId'
  | 'getMessage'
  | 'listMessages'
  | 'updateMessageContent'
  | 'deleteMessageForEveryone'
  | 'hideMessageForUser'
  | 'changeReaction'
  | 'markRead'
  | 'setReadPosition'
  | 'getChangesSince'
>;

export type ThreadStoreMethods = Pick<ChatStore, 'listThreadMessages' | 'markThreadRead' | 'threadReadStates' | 'listThreadReadStates'>;
/** Pins and edit history (issue 14). */
export type PinHistoryStoreMethods = Pick<ChatStore, 'pinMessage' | 'unpinMessage' | 'listPins' | 'listMessageHistory'>;

export type SearchStoreMethods = Pick<ChatStore, 'searchMessages' | 'getMessageStats'>;

export type OutboxStoreMethods = Pick<ChatStore, 'claimOutbox' | 'completeOutbox' | 'failOutbox' | 'outboxStats'>;

export type WebhookStoreMethods = Pick<
  ChatStore,
  | 'claimWebhookDeliveries'
  | 'completeWebhookDelivery'
  | 'failWebhookDelivery'
  | 'listWebhookDeliveries'
  | 'getWebhookDelivery'
  | 'redeliverWebhook'
  | 'pruneWebhookDeliveries'
>;

export type ModerationStoreMethods = Pick<
  ChatStore,
  'setBlock' | 'listBlocked' | 'blocksAmong' | 'createReport' | 'getReport' | 'listReports' | 'resolveReports' | 'appendAudit' | 'listAudit'
>;

/** Retention and a user's own data (export and erase). */
export type RetentionStoreMethods = Pick<
  ChatStore,
  | 'setConversationRetention'
  | 'purgeExpiredMessages'
  | 'acquireJobLease'
  | 'releaseJobLease'
  | 'listUserMessages'
  | 'listUserReactions'
  | 'listUserMemberships'
  | 'eraseUserData'
>;

export type AttachmentStoreMethods = Pick<
  ChatStore,
  'createAttachment' | 'getAttachment' | 'completeAttachment' | 'claimAttachmentPurge' | 'deleteAttachments'
>;
