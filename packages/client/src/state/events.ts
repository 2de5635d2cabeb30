import type { Message, ServerEventData } from '@parley/core/protocol';
import { updateView, viewWithMessage } from './conversations.js';
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
  let next = updateWindow(state, conversationId, (w) => mergeMessages(w, messages));
  next = updateView(next, conversationId, (view) => messages.reduce(viewWithMessage, view));
  return next;
}

export function withChangedMessage(state: ParleyState, message: Message): ParleyState {
  let next = updateWindow(state, message.conversationId, (w) => applyChanges(w, [message]));
  next = updateView(next, message.conversationId, (view) => (view.lastMessage?.id === message.id ? viewWithMessage(view, message) : view));
  return next;
}

export function withDeleted(state: ParleyState, data: ServerEventData['message_deleted']): ParleyState {
  if (!data.forEveryone) {
    let next = updateWindow(state, data.conversationId, (w) => removeMessages(w, [data.messageId]));
    next = updateView(next, data.conversationId, (view) => {
      if (view.lastMessage?.id !== data.messageId) return view;
      const held = next.windows[data.conversationId]?.messages;
      return { ...view, lastMessage: held?.[held.length - 1] ?? null };
    });
    return next;
  }
  let next = updateWindow(state, data.conversationId, (w) => patchMessage(w, data.messageId, (m) => clearedMessage(m, data.version)));
  next = updateView(next, data.conversationId, (view) =>
    view.lastMessage?.id === data.messageId ? { ...view, lastMessage: clearedMessage(view.lastMessage, data.version) } : view,
  );
  return next;
}

export function withReactions(state: ParleyState, data: ServerEventData['message_reaction_updated']): ParleyState {
  const patch = (m: Message): Message => (data.version <= m.version ? m : { ...m, reactions: data.reactions, version: data.version });
  let next = updateWindow(state, data.conversationId, (w) => patchMessage(w, data.messageId, patch));
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
  let next = withTruncation(state, conversationId, entry.truncatedBefore);
  next = updateWindow(next, conversationId, (w) => {
    let window = removeMessages(w, entry.hiddenIds);
    window = mergeMessages(window, entry.messages);
    window = applyChanges(window, entry.changes);
    if (!entry.hasMore) window = settleCursor(window);
    const synced = !entry.hasMore && !entry.hasMoreChanges;
    if (window.cursor.version === entry.version && window.synced === synced) return window;
    return { ...window, cursor: { ...window.cursor, version: entry.version }, synced };
  });
  next = updateView(next, conversationId, (view) => {
    let v = entry.messages.reduce(viewWithMessage, view);
    for (const change of entry.changes) if (v.lastMessage?.id === change.id) v = viewWithMessage(v, change);
    for (const id of entry.hiddenIds) if (v.lastMessage?.id === id) v = { ...v, lastMessage: next.windows[conversationId]?.messages.at(-1) ?? null };
    return entry.lastSeq > v.lastSeq ? { ...v, lastSeq: entry.lastSeq } : v;
  });
  return next;
}

/** The outbox changed: the top-level list and each window's `pending` (only where it changed). */
export function withOutbox(state: ParleyState, entries: readonly OutboxEntry[]): ParleyState {
  const byConversation = new Map<string, OutboxEntry[]>();
  for (const entry of entries) {
    const list = byConversation.get(entry.conversationId);
    if (list === undefined) byConversation.set(entry.conversationId, [entry]);
    else list.push(entry);
  }
  let windows = state.windows;
  for (const [id, window] of Object.entries(state.windows)) {
    const pending = byConversation.get(id) ?? [];
    if (pending.length === window.pending.length && pending.every((e, i) => e === window.pending[i])) continue;
    if (windows === state.windows) windows = { ...state.windows };
    (windows as Record<string, typeof window>)[id] = { ...window, pending };
  }
  return { ...state, outbox: entries, windows };
}
