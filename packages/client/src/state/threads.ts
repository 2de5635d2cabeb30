import type { Message, ServerEventData, ThreadSummary } from '@parley/core/protocol';
import type { ParleyState, ThreadWindow } from './types.js';

/**
 * Pure updates of thread windows and thread unread counts. Like conversation windows, a
 * thread window holds each reply once, sorted by seq, and replaces one only with a newer
 * version, so replies that arrive live and again through catch-up never roll back.
 */

/** A reply kept in its thread only (not also sent to the conversation). */
export const threadOnly = (m: Message): boolean => (m.threadId ?? null) !== null && m.alsoToConversation !== true;

export function emptyThread(threadId: string, conversationId: string): ThreadWindow {
  return { threadId, conversationId, root: null, messages: [], pending: [], hasMoreBefore: false, hasMoreAfter: false };
}

/** Adds replies (new, or newer versions of held ones) to a thread window. */
export function mergeReplies(window: ThreadWindow, incoming: readonly Message[]): ThreadWindow {
  let messages: Message[] | null = null;
  for (const reply of incoming) {
    if (reply.threadId !== window.threadId) continue;
    const list: Message[] = messages ?? [...window.messages];
    const at = list.findIndex((m) => m.id === reply.id);
    if (at >= 0) {
      if (reply.version <= list[at]!.version) continue;
      list[at] = reply;
    } else {
      const before = list.findIndex((m) => m.seq > reply.seq);
      list.splice(before < 0 ? list.length : before, 0, reply);
    }
    messages = list;
  }
  return messages === null ? window : { ...window, messages };
}

/** Thread replies (live or from catch-up) into the open windows of their threads. */
export function withThreadReplies(state: ParleyState, replies: readonly Message[]): ParleyState {
  let threads = state.threads;
  for (const reply of replies) {
    const id = reply.threadId ?? null;
    const window = id === null ? undefined : threads[id];
    if (window === undefined) continue;
    const next = mergeReplies(window, [reply]);
    if (next !== window) threads = { ...threads, [id!]: next };
  }
  return threads === state.threads ? state : { ...state, threads };
}

/** Newer versions of held messages: roots (with their summaries) and replies of open threads. */
export function withThreadChanges(state: ParleyState, changes: readonly Message[]): ParleyState {
  let threads = state.threads;
  for (const change of changes) {
    const root = threads[change.id];
    if (root !== undefined && (root.root === null || change.version > root.root.version)) threads = { ...threads, [change.id]: { ...root, root: change } };
    const id = change.threadId ?? null;
    const window = id === null ? undefined : threads[id];
    if (window === undefined || !window.messages.some((m) => m.id === change.id)) continue;
    const next = mergeReplies(window, [change]);
    if (next !== window) threads = { ...threads, [id!]: next };
  }
  return threads === state.threads ? state : { ...state, threads };
}

/** Changes one held reply of any open thread of the conversation; `patch` returns it unchanged to change nothing. */
export function patchThreadMessage(state: ParleyState, conversationId: string, messageId: string, patch: (m: Message) => Message): ParleyState {
  let threads = state.threads;
  for (const [id, window] of Object.entries(state.threads)) {
    if (window.conversationId !== conversationId) continue;
    const at = window.messages.findIndex((m) => m.id === messageId);
    const rootChanged = window.root !== null && window.root.id === messageId ? patch(window.root) : null;
    if (at < 0 && (rootChanged === null || rootChanged === window.root)) continue;
    let next = window;
    if (at >= 0) {
      const changed = patch(window.messages[at]!);
      if (changed !== window.messages[at]) {
        const messages = [...window.messages];
        messages[at] = changed;
        next = { ...next, messages };
      }
    }
    if (rootChanged !== null && rootChanged !== window.root) next = { ...next, root: rootChanged };
    if (next !== window) threads = { ...threads, [id]: next };
  }
  return threads === state.threads ? state : { ...state, threads };
}

/** Drops replies (deleted for me) from open threads. */
export function removeThreadMessages(state: ParleyState, ids: readonly string[]): ParleyState {
  if (ids.length === 0) return state;
  const drop = new Set(ids);
  let threads = state.threads;
  for (const [id, window] of Object.entries(state.threads)) {
    const messages = window.messages.filter((m) => !drop.has(m.id));
    if (messages.length !== window.messages.length) threads = { ...threads, [id]: { ...window, messages } };
  }
  return threads === state.threads ? state : { ...state, threads };
}

/** A root's summary moved (a reply's `new_message` / `message_sent` carries it): the root in every window shows it. */
export function withThreadSummary(state: ParleyState, conversationId: string, rootId: string, thread: ThreadSummary, version: number): ParleyState {
  const patch = (m: Message): Message => {
    if (m.id !== rootId) return m;
    const held = m.thread ?? null;
    if (held !== null && (held.replyCount > thread.replyCount || (held.replyCount === thread.replyCount && held.lastReplyAt === thread.lastReplyAt))) return m;
    return { ...m, thread, version: Math.max(m.version, version) };
  };
  let next = state;
  const window = state.windows[conversationId];
  if (window !== undefined) {
    const at = window.messages.findIndex((m) => m.id === rootId);
    if (at >= 0) {
      const changed = patch(window.messages[at]!);
      if (changed !== window.messages[at]) {
        const messages = [...window.messages];
        messages[at] = changed;
        next = { ...next, windows: { ...next.windows, [conversationId]: { ...window, messages } } };
      }
    }
  }
  const open = next.threads[rootId];
  if (open?.root != null) {
    const root = patch(open.root);
    if (root !== open.root) next = { ...next, threads: { ...next.threads, [rootId]: { ...open, root } } };
  }
  return next;
}

/** A page from `get_thread`: the root, and replies merged into the window (created when missing). */
export function withThreadPage(state: ParleyState, threadId: string, page: ServerEventData['thread_messages'], side: 'latest' | 'older' | 'newer'): ParleyState {
  const window = state.threads[threadId] ?? emptyThread(threadId, page.root.conversationId);
  let next = mergeReplies({ ...window, root: window.root === null || page.root.version >= window.root.version ? page.root : window.root }, page.messages);
  if (side !== 'newer') next = { ...next, hasMoreBefore: page.hasMoreBefore };
  if (side !== 'older') next = { ...next, hasMoreAfter: page.hasMoreAfter };
  return { ...state, threads: { ...state.threads, [threadId]: next } };
}

export function withThreadUnread(state: ParleyState, data: { conversationId: string; threadId: string; unreadCount: number; lastReadSeq: number }): ParleyState {
  const held = state.threadUnread[data.threadId];
  if (held !== undefined && held.unreadCount === data.unreadCount && held.lastReadSeq === data.lastReadSeq) return state;
  return { ...state, threadUnread: { ...state.threadUnread, [data.threadId]: { conversationId: data.conversationId, unreadCount: data.unreadCount, lastReadSeq: data.lastReadSeq } } };
}
