/**
 * What counts as unread, written once for every store. A message counts for a member when
 * its seq is above the member's `lastReadSeq` and it is:
 * - someone else's (your own messages are never unread),
 * - not deleted for everyone,
 * - not a `system` message ("Alice added Bob"),
 * - not hidden for the member (deleted for me),
 * - in the conversation's timeline: a thread reply counts only when also sent to the
 *   conversation (the thread's own read position counts the rest, see `countsAsThreadUnread`).
 * The conformance kit checks each clause on every store.
 */
export function countsAsUnread(
  // Optional fields left out hold their wire defaults (a compact message: text, not deleted).
  message: { senderId: string; type?: string; deletedForEveryone?: boolean; threadId?: string | null; alsoToConversation?: boolean },
  viewerId: string,
  hiddenForViewer: boolean,
): boolean {
  return inTimeline(message) && countsAsThreadUnread(message, viewerId, hiddenForViewer);
}

/** A thread reply counts as unread in its thread by the same rule, the timeline clause aside. */
export function countsAsThreadUnread(message: { senderId: string; type?: string; deletedForEveryone?: boolean }, viewerId: string, hiddenForViewer: boolean): boolean {
  return message.senderId !== viewerId && message.deletedForEveryone !== true && message.type !== 'system' && !hiddenForViewer;
}

/** Shown in the conversation's timeline: not a thread reply, or one also sent to the conversation. */
export function inTimeline(message: { threadId?: string | null; alsoToConversation?: boolean }): boolean {
  return message.threadId === null || message.threadId === undefined || message.alsoToConversation === true;
}

/** The message mentions the viewer: by name, or everyone (and it is not their own). */
export function mentions(message: { senderId: string; mentions?: string[]; mentionEveryone?: boolean }, viewerId: string): boolean {
  return message.senderId !== viewerId && (message.mentionEveryone === true || (message.mentions ?? []).includes(viewerId));
}

/**
 * The same rule as an SQL condition, for stores that keep Parley's column names
 * (`messages.sender_id`, `type`, `deleted_for_everyone`, `id`; `hidden_messages.message_id`,
 * `user_id`). `message` is the messages alias, `viewer` an expression for the member's id,
 * `falseValue` how the dialect writes false (`0` in SQLite, `false` in Postgres),
 * `hiddenTable` the (qualified) name of the hidden-messages table.
 */
export function unreadCondition(sql: { message: string; viewer: string; falseValue: string; hiddenTable?: string }): string {
  return `${timelineCondition(sql)} AND ${threadUnreadCondition(sql)}`;
}

/** `inTimeline` as SQL (columns `thread_id`, `also_to_conversation`). */
export function timelineCondition(sql: { message: string; falseValue: string }): string {
  return `(${sql.message}.thread_id IS NULL OR ${sql.message}.also_to_conversation <> ${sql.falseValue})`;
}

/** `countsAsThreadUnread` as SQL. */
export function threadUnreadCondition(sql: { message: string; viewer: string; falseValue: string; hiddenTable?: string }): string {
  const m = sql.message;
  return `${m}.sender_id <> ${sql.viewer} AND ${m}.deleted_for_everyone = ${sql.falseValue} AND ${m}.type <> 'system'
    AND NOT EXISTS (SELECT 1 FROM ${sql.hiddenTable ?? 'hidden_messages'} h WHERE h.message_id = ${m}.id AND h.user_id = ${sql.viewer})`;
}
