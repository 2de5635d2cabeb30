import type { Message, ServerEventData } from '@parley/core/protocol';
import { updateView, viewWithMessage, viewWithThreadReply } from './conversations.js';
import { patchThreadMessage, removeThreadMessages, threadOnly, withThreadChanges, withThreadReplies } from './threads.js';
import type { OutboxEntry, ParleyState } from './types.js';
import { applyChanges, clearedMessage, mergeMessages, patchMessage, removeMessages, settleCursor, truncateWindow } from './windows.js';

/** Pure updates of the state for the message events of the protocol (live or from catch-up). */

function updateWindow(state: ParleyState, conversationId: string, change: (w: NonNullable<ParleyState['windows'][string]>) => NonNullable<ParleyState['windows'][string]>): ParleyState {
  const window = state.windows[conversationId];
  if (window === undefined) return state;
  const next = change(window);
  return next === window ? state : { ...state, windows: { ...state.windows, [conversationId]: next } };
}

/** `new_message`, `message_sent`, `message_edited`: a stored message, new or in a newer version. */
export function withMessages(state: ParleyState, conversationId: string, messages: readonly Message[]): ParleyState {
  if (messages.length === 0) return state;
  // Replies kept in their thread go to the thread's window; the timeline only steps over their seqs.
  const timeline = messages.filter((m) => !threadOnly(m));
  const passed = messages.filter(threadOnly);
  let next = updateWindow(state, conversationId, (w) => mergeMessages(w, timeline, passed.map((m) => m.seq)));
  next = updateView(next, conversationId, (view) => passed.reduce(viewWithThreadReply, timeline.reduce(viewWithMessage, view)));
  next = withThreadReplies(next, messages);
  return next;
}

export function withChangedMessage(state: ParleyState, message: Message): ParleyState {
  let next = withThreadChanges(state, [message]);
  next = updateWindow(next, message.conversationId, (w) => applyChanges(w, [message]));
  next = updateView(next, message.conversationId, (view) => (view.lastMessage?.id === message.id ? viewWithMessage(view, message) : view));
  return next;
}

export function withDeleted(state: ParleyState, data: ServerEventData['message_deleted']): ParleyState {
  if (!data.forEveryone) {
    let next = removeThreadMessages(state, [data.messageId]);
    next = updateWindow(next, data.conversationId, (w) => removeMessages(w, [data.messageId]));
    next = updateView(next, data.conversationId, (view) => {
      if (view.lastMessage?.id !== data.messageId) return view;
      const held = next.windows[data.conversationId]?.messages;
      return { ...view, lastMessage: held?.[held.length - 1] ?? null };
    });
    return next;
  }
  let next = patchThreadMessage(state, data.conversationId, data.messageId, (m) => clearedMessage(m, data.version));
  next = updateWindow(next, data.conversationId, (w) => patchMessage(w, data.messageId, (m) => clearedMessage(m, data.version)));
  next = updateView(next, data.conversationId, (view) =>
    view.lastMessage?.id === data.messageId ? { ...view, lastMessage: clearedMessage(view.lastMessage, data.version) } : view,
  );
  return next;
}

export function withReactions(state: ParleyState, data: ServerEventData['message_reaction_updated']): ParleyState {
  const patch = (m: Message): Message => (data.version <= m.version ? m : { ...m, reactions: data.reactions, version: data.version });
  let next = patchThreadMessage(state, data.conversationId, data.messageId, patch);
  next = updateWindow(next, data.conversationId, (w) => patchMessage(w, data.messageId, patch));
  next = updateView(next, data.conversationId, (view) => (view.lastMessage?.id === data.messageId ? { ...view, lastMessage: patch(view.lastMessage) } : view));
  return next;
}

/**
 * Retention removed the conversation's messages below `truncatedBefore` (`history_truncated`,
 * or a catch-up answer): they leave the window, and the list's last message when it was one.
 */
export function withTruncation(state: ParleyState, conversationId: string, truncatedBefore: number): ParleyState {
  if (truncatedBefore <= 1) return state;
  const next = updateWindow(state, conversationId, (w) => truncateWindow(w, truncatedBefore));
  return updateView(next, conversationId, (view) => (view.lastMessage !== null && view.lastMessage.seq < truncatedBefore ? { ...view, lastMessage: null } : view));
}

/** One conversation's `sync_result` entry: hides, new messages, changes, then the cursors. */
export function withSyncEntry(state: ParleyState, conversationId: string, entry: ServerEventData['sync_result']['conversations'][string]): ParleyState {
  // Thread replies come in `messages` like any other (sync covers threads); roots whose summary moved, in `changes`.
  const timeline = entry.messages.filter((m) => !threadOnly(m));
  const passed = entry.messages.filter(threadOnly).map((m) => m.seq);
  const lastSeen = entry.messages[entry.messages.length - 1]?.seq ?? 0;
  let next = withTruncation(state, conversationId, entry.truncatedBefore);
  next = removeThreadMessages(next, entry.hiddenIds);
  next = withThreadReplies(next, entry.messages);
  next = withThreadChanges(next, entry.changes);
  next = updateWindow(next, conversationId, (w) => {
    let window = removeMessages(w, entry.hiddenIds);
    window = mergeMessages(window, timeline, passed);
    window = applyChanges(window, entry.changes);
    if (!entry.hasMore) window = settleCursor(window, lastSeen);
    const synced = !entry.hasMore && !entry.hasMoreChanges;
    if (window.cursor.version === entry.version && window.synced === synced) return window;
    return { ...window, cursor: { ...window.cursor, version: entry.version }, synced };
  });
  next = updateView(next, conversationId, (view) => {
    let v = timeline.reduce(viewWithMessage, view);
    for (const change of entry.changes) if (v.lastMessage?.id === change.id) v = viewWithMessage(v, change);
    for (const id of entry.hiddenIds) if (v.lastMessage?.id === id) v = { ...v, lastMessage: next.windows[conversationId]?.messages.at(-1) ?? null };
    return entry.lastSeq > v.lastSeq ? { ...v, lastSeq: entry.lastSeq } : v;
  });
  return next;
}

/** The outbox changed: the top-level list and each window's `pending` (only where it changed). */
export function withOutbox(state: ParleyState, entries: readonly OutboxEntry[]): ParleyState {
  const byConversation = new Map<string, OutboxEntry[]>();
  const byThread = new Map<string, OutboxEntry[]>();
  for (const entry of entries) {
    // A reply kept in its thread waits in the thread's window, not the conversation's.
    const threadId = entry.message.threadId;
    const [map, key] = threadId !== undefined && entry.message.alsoToConversation !== true ? [byThread, threadId] : [byConversation, entry.conversationId];
    const list = map.get(key);
    if (list === undefined) map.set(key, [entry]);
    else list.push(entry);
  }
  let threads = state.threads;
  for (const [id, window] of Object.entries(state.threads)) {
    const pending = byThread.get(id) ?? [];
    if (pending.length === window.pending.length && pending.every((e, i) => e === window.pending[i])) continue;
    if (threads === state.threads) threads = { ...state.threads };
    (threads as Record<string, typeof window>)[id] = { ...window, pending };
  }
  if (threads !== state.threads) state = { ...state, threads };
  let windows = state.windows;
  for (const [id, window] of Object.entries(state.windows)) {
    const pending = byConversation.get(id) ?? [];
    if (pending.length === window.pending.length && pending.every((e, i) => e === window.pending[i])) continue;
    if (windows === state.windows) windows = { ...state.windows };
    (windows as Record<string, typeof window>)[id] = { ...window, pending };
  }
  return { ...state, outbox: entries, windows };
}
