import type { ConversationListItem, Message, ServerEventData } from '@parley/core/protocol';
import type { ConversationView, ParleyState } from './types.js';

/** Pure updates of the conversation list. Unread counts are only ever copied from the server. */

export function emptyView(id: string): ConversationView {
  return { id, info: null, unreadCount: 0, firstUnreadSeq: null, mentionCount: 0, lastMessage: null, lastSeq: 0, lastReadSeq: 0, readPositions: {}, updatedAt: null };
}

const byActivity = (conversations: ParleyState['conversations']) => (a: string, b: string) => {
  const x = conversations[a]!.updatedAt ?? '';
  const y = conversations[b]!.updatedAt ?? '';
  return x === y ? (a < b ? -1 : 1) : x < y ? 1 : -1;
};

/** Changes one conversation (created if unknown) and keeps the list ordered by activity. */
export function updateView(state: ParleyState, id: string, change: (view: ConversationView) => ConversationView): ParleyState {
  const before = state.conversations[id];
  const after = change(before ?? emptyView(id));
  if (after === before) return state;
  const conversations = { ...state.conversations, [id]: after };
  const reorder = before === undefined || before.updatedAt !== after.updatedAt;
  const conversationIds = reorder ? [...(before === undefined ? [...state.conversationIds, id] : state.conversationIds)].sort(byActivity(conversations)) : state.conversationIds;
  return { ...state, conversations, conversationIds };
}

export function removeView(state: ParleyState, id: string): ParleyState {
  if (state.conversations[id] === undefined && state.windows[id] === undefined) return state;
  const { [id]: _gone, ...conversations } = state.conversations;
  const { [id]: _window, ...windows } = state.windows;
  const { [id]: _typing, ...typing } = state.typing;
  return { ...state, conversations, windows, typing, conversationIds: state.conversationIds.filter((c) => c !== id) };
}

/** A message stored in a conversation: the newest one becomes its last message and activity. */
export function viewWithMessage(view: ConversationView, message: Message): ConversationView {
  const newer = view.lastMessage === null || message.seq > view.lastMessage.seq;
  const sameNewer = view.lastMessage?.id === message.id && message.version > view.lastMessage.version;
  if (!newer && !sameNewer && message.seq <= view.lastSeq) return view;
  const lastMessage = newer || sameNewer ? message : view.lastMessage;
  const updatedAt = newer && (view.updatedAt === null || message.createdAt > view.updatedAt) ? message.createdAt : view.updatedAt;
  return { ...view, lastMessage, lastSeq: Math.max(view.lastSeq, message.seq), updatedAt };
}

/** The list rows from REST; unread counts newer than the request (from `unread_changed`) are kept. */
export function viewFromListItem(view: ConversationView, item: ConversationListItem, keepUnread: boolean): ConversationView {
  const base = { ...view, info: item, lastSeq: Math.max(view.lastSeq, item.lastSeq), lastReadSeq: item.lastReadSeq, updatedAt: item.updatedAt };
  const withUnread = keepUnread ? base : { ...base, unreadCount: item.unreadCount, firstUnreadSeq: item.firstUnreadSeq, mentionCount: item.mentionCount ?? 0 };
  return item.lastMessage === null ? withUnread : viewWithMessage({ ...withUnread, lastMessage: view.lastMessage }, item.lastMessage);
}

export function viewWithUnread(view: ConversationView, data: ServerEventData['unread_changed']): ConversationView {
  const mentionCount = data.mentionCount ?? view.mentionCount;
  if (view.unreadCount === data.unreadCount && view.firstUnreadSeq === data.firstUnreadSeq && view.mentionCount === mentionCount) return view;
  const info = view.info === null ? null : { ...view.info, unreadCount: data.unreadCount, firstUnreadSeq: data.firstUnreadSeq, mentionCount };
  return { ...view, unreadCount: data.unreadCount, firstUnreadSeq: data.firstUnreadSeq, mentionCount, info };
}

/** A reply kept in its thread is not the conversation's last message, but it does use a seq. */
export function viewWithThreadReply(view: ConversationView, message: Message): ConversationView {
  return message.seq > view.lastSeq ? { ...view, lastSeq: message.seq } : view;
}

/** `messages_read`: a member's read position moved forward. */
export function viewWithRead(view: ConversationView, userId: string, lastReadSeq: number, me: string | null, moveBack = false): ConversationView {
  const positions = view.readPositions[userId];
  const next = moveBack ? lastReadSeq : Math.max(positions ?? 0, lastReadSeq);
  const mine = userId === me ? (moveBack ? lastReadSeq : Math.max(view.lastReadSeq, lastReadSeq)) : view.lastReadSeq;
  if (positions === next && mine === view.lastReadSeq) return view;
  return { ...view, lastReadSeq: mine, readPositions: { ...view.readPositions, [userId]: next } };
}

/** `conversation_updated`: what the event carries goes into `info`; the rest is the list's next load. */
export function viewWithUpdate(view: ConversationView, data: ServerEventData['conversation_updated']): ConversationView {
  const payload = data.data as { conversation?: Partial<ConversationListItem>; member?: { archivedAt?: string | null; mutedUntil?: string | null } };
  if (payload.conversation !== undefined && view.info !== null) {
    const { lastMessage: _l, ...fields } = payload.conversation;
    return { ...view, info: { ...view.info, ...fields } };
  }
  if (payload.member !== undefined && view.info !== null) {
    const archived = data.updateType === 'archived' ? true : data.updateType === 'unarchived' ? false : view.info.archived;
    const muted = data.updateType === 'muted' ? true : data.updateType === 'unmuted' ? false : view.info.muted;
    return { ...view, info: { ...view.info, archived, muted } };
  }
  return view;
}
