import type { Message } from '@parley/core/protocol';
import type { Cursor, MessageWindow } from './types.js';

/**
 * Pure operations on a message window. Every one returns the same object when nothing changed,
 * so a UI re-renders only what did. A window holds each message once (by id), sorted by seq;
 * a change replaces a message only when its `version` is newer, so changes that arrive twice or
 * late (live and again through catch-up) can never roll a message back.
 */

export function emptyWindow(conversationId: string, cursor: Cursor, hasMoreBefore: boolean): MessageWindow {
  return { conversationId, messages: [], pending: [], hasMoreBefore, cursor, synced: false };
}

/** The index of the first message whose seq is ≥ `seq`. */
function lowerBound(messages: readonly Message[], seq: number): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (messages[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Adds messages (new, or newer versions of held ones), then moves the cursor over every seq now
 * held without a gap. `passed` are seqs seen but not held here (thread replies kept in their
 * thread): the cursor moves over them too.
 */
export function mergeMessages(window: MessageWindow, incoming: readonly Message[], passed: readonly number[] = []): MessageWindow {
  let messages: Message[] | null = null;
  for (const message of incoming) {
    const list: readonly Message[] = messages ?? window.messages;
    const at = lowerBound(list, message.seq);
    const held = list[at];
    if (held !== undefined && held.seq === message.seq) {
      // Seqs are unique per conversation: the same message, perhaps in a newer version.
      if (held.id !== message.id || message.version <= held.version) continue;
      messages ??= [...window.messages];
      messages[at] = message;
      continue;
    }
    // A message moved nowhere else: an id held at another seq would be a server fault; keep the first.
    if (list.some((m) => m.id === message.id)) continue;
    messages ??= [...window.messages];
    messages.splice(at, 0, message);
  }
  const next = messages ?? window.messages;
  const seq = contiguousEnd(next, window.cursor.seq, passed);
  if (messages === null && seq === window.cursor.seq) return window;
  return { ...window, messages: next, cursor: seq === window.cursor.seq ? window.cursor : { ...window.cursor, seq } };
}

/** The highest seq reached from `from` through messages held one after another. */
function contiguousEnd(messages: readonly Message[], from: number, passed: readonly number[] = []): number {
  const skipped = new Set(passed);
  let seq = from;
  let i = lowerBound(messages, seq + 1);
  for (;;) {
    if (i < messages.length && messages[i]!.seq === seq + 1) {
      seq += 1;
      i += 1;
    } else if (skipped.has(seq + 1)) seq += 1;
    else return seq;
  }
}

/** Replaces held messages by newer versions of them; messages not held are outside the window and ignored. */
export function applyChanges(window: MessageWindow, changes: readonly Message[]): MessageWindow {
  let messages: Message[] | null = null;
  for (const change of changes) {
    const list: readonly Message[] = messages ?? window.messages;
    const at = lowerBound(list, change.seq);
    const held = list[at];
    if (held === undefined || held.id !== change.id || change.version <= held.version) continue;
    messages ??= [...window.messages];
    messages[at] = change;
  }
  return messages === null ? window : { ...window, messages };
}

/** Changes one held message; `patch` returns it unchanged (same object) to change nothing. */
export function patchMessage(window: MessageWindow, messageId: string, patch: (message: Message) => Message): MessageWindow {
  const at = window.messages.findIndex((m) => m.id === messageId);
  if (at < 0) return window;
  const next = patch(window.messages[at]!);
  if (next === window.messages[at]) return window;
  const messages = [...window.messages];
  messages[at] = next;
  return { ...window, messages };
}

/** Drops messages (deleted for me, here or on another device). */
export function removeMessages(window: MessageWindow, ids: readonly string[]): MessageWindow {
  if (ids.length === 0) return window;
  const drop = new Set(ids);
  const messages = window.messages.filter((m) => !drop.has(m.id));
  return messages.length === window.messages.length ? window : { ...window, messages };
}

/**
 * Retention removed every message below `truncatedBefore`: drop those held, and say there is
 * nothing older once the first one left is the oldest there is. A cursor below the cut fell
 * behind retention — the messages between it and the cut are gone for good, not missing — so
 * it moves up to the cut, and catch-up goes on from there instead of waiting for a gap to fill.
 */
export function truncateWindow(window: MessageWindow, truncatedBefore: number): MessageWindow {
  const cut = lowerBound(window.messages, truncatedBefore);
  const behind = window.cursor.seq < truncatedBefore - 1;
  const first = window.messages[cut];
  const hasMoreBefore = window.hasMoreBefore && !(first !== undefined && first.seq === truncatedBefore) && !(first === undefined && behind);
  if (cut === 0 && !behind && hasMoreBefore === window.hasMoreBefore) return window;
  const messages = cut === 0 ? window.messages : window.messages.slice(cut);
  const cursor = behind ? { ...window.cursor, seq: contiguousEnd(messages, truncatedBefore - 1) } : window.cursor;
  return { ...window, messages, cursor, hasMoreBefore };
}

/** Messages are held past the cursor: some seq between is missing, so a catch-up is due. */
export function hasGap(window: MessageWindow): boolean {
  const last = window.messages[window.messages.length - 1];
  return last !== undefined && last.seq > window.cursor.seq;
}

/**
 * After a catch-up that had nothing more to give: what is held is everything up to its last seq
 * (or up to `upTo`, the last seq the catch-up saw, a thread reply kept elsewhere perhaps).
 */
export function settleCursor(window: MessageWindow, upTo = 0): MessageWindow {
  const last = Math.max(window.messages[window.messages.length - 1]?.seq ?? 0, upTo);
  if (last <= window.cursor.seq) return window;
  return { ...window, cursor: { ...window.cursor, seq: last } };
}

/** The message as every reader sees it once deleted for everyone. */
export function clearedMessage(message: Message, version: number | null): Message {
  if (version !== null && version < message.version) return message;
  if (message.deletedForEveryone && (version === null || version === message.version)) return message;
  return {
    ...message,
    content: null,
    attachments: [],
    reactions: [],
    deletedForEveryone: true,
    deletedAt: message.deletedAt ?? new Date().toISOString(),
    version: version ?? message.version,
  };
}
