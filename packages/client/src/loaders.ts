import type { ConversationListItem } from '@parley/core/protocol';
import type { MessageWindow } from './state/types.js';
import type { CatchUp } from './catch-up.js';
import { ClientError } from './errors.js';
import type { Rest } from './rest.js';
import { updateView, viewFromListItem } from './state/conversations.js';
import type { Store } from './state/store.js';
import { emptyWindow, mergeMessages } from './state/windows.js';

export interface LoaderContext {
  store: Store;
  rest: Rest | null;
  catchUp: CatchUp;
  /** When the last `unread_changed` for a conversation arrived (0: never). */
  unreadSeenAt(conversationId: string): number;
  pendingFor(conversationId: string): MessageWindow['pending'];
}

export interface OpenOptions {
  /**
   * Where the window starts: `'latest'` (default) holds the last `limit` messages; a number
   * holds every message after that seq (`0`: the whole history), caught up page by page.
   */
  from?: 'latest' | number;
  /** Messages in the latest page. Default 50. */
  limit?: number;
}

let clock = 0;
/** A strictly increasing stamp, to tell which of a list load and a push came last. */
export const tick = (): number => (clock += 1);

/**
 * Makes sure a conversation has a message window and catches it up. With a REST URL the latest
 * page comes from `GET /conversations/:id/messages`; without one, from `sync` starting `limit`
 * seqs before the last one known.
 */
export async function openWindow(ctx: LoaderContext, conversationId: string, options: OpenOptions = {}): Promise<void> {
  const limit = options.limit ?? 50;
  if (ctx.store.getState().windows[conversationId] === undefined) {
    const from = options.from ?? 'latest';
    if (from === 'latest' && ctx.rest !== null) {
      const page = await ctx.rest.listMessages(conversationId, { limit });
      const last = page.messages[page.messages.length - 1];
      // Every change after the page was read has a version above all of the page's: a safe change cursor.
      const version = page.messages.reduce((v, m) => Math.max(v, m.version), 0);
      const window = mergeMessages(emptyWindow(conversationId, { seq: last?.seq ?? 0, version }, page.hasMoreBefore), page.messages);
      installWindow(ctx, conversationId, window);
    } else {
      const lastSeq = ctx.store.getState().conversations[conversationId]?.lastSeq ?? 0;
      const start = from === 'latest' ? Math.max(0, lastSeq - limit) : from;
      installWindow(ctx, conversationId, emptyWindow(conversationId, { seq: start, version: start }, start > 0));
    }
  }
  await ctx.catchUp.request([conversationId]);
}

function installWindow(ctx: LoaderContext, conversationId: string, window: MessageWindow): void {
  ctx.store.update((s) => {
    if (s.windows[conversationId] !== undefined) return s;
    const withPending = { ...window, pending: ctx.pendingFor(conversationId) };
    const next = { ...s, windows: { ...s.windows, [conversationId]: withPending } };
    const last = window.messages[window.messages.length - 1];
    return last === undefined ? next : updateView(next, conversationId, (v) => (v.lastMessage === null || last.seq > v.lastMessage.seq ? { ...v, lastMessage: last, lastSeq: Math.max(v.lastSeq, last.seq) } : v));
  });
}

/** Loads the page before the first message held (needs the REST URL). Resolves false when there is nothing older. */
export async function loadOlder(ctx: LoaderContext, conversationId: string, limit = 50): Promise<boolean> {
  if (ctx.rest === null) throw new ClientError('VALIDATION_FAILED', 'Older messages come from the REST API: pass restUrl to createParleyClient');
  const window = ctx.store.getState().windows[conversationId];
  if (window === undefined) throw new ClientError('NOT_FOUND', `Conversation ${conversationId} is not open: call openConversation first`);
  const first = window.messages[0];
  if (!window.hasMoreBefore && first !== undefined) return false;
  const page = await ctx.rest.listMessages(conversationId, { ...(first === undefined ? {} : { before: first.seq }), limit });
  ctx.store.update((s) => {
    const w = s.windows[conversationId];
    if (w === undefined) return s;
    const merged = mergeMessages(w, page.messages);
    return { ...s, windows: { ...s.windows, [conversationId]: { ...merged, hasMoreBefore: page.hasMoreBefore } } };
  });
  return page.messages.length > 0;
}

/**
 * Loads the conversation list (every page) into the state. Unread counts pushed while the
 * request was on its way are newer than the list's and are kept.
 */
export async function loadList(ctx: LoaderContext, options: { archived?: boolean } = {}): Promise<void> {
  if (ctx.rest === null) throw new ClientError('VALIDATION_FAILED', 'The conversation list comes from the REST API: pass restUrl to createParleyClient');
  const started = tick();
  const items: ConversationListItem[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page += 1) {
    const result = await ctx.rest.listConversations({ ...(options.archived === undefined ? {} : { archived: options.archived }), ...(cursor === undefined ? {} : { cursor }) });
    items.push(...result.items);
    if (result.nextCursor === null) break;
    cursor = result.nextCursor;
  }
  ctx.store.update((s) => {
    let next = s;
    for (const item of items) {
      const keepUnread = ctx.unreadSeenAt(item.id) > started;
      next = updateView(next, item.id, (v) => viewFromListItem(v, item, keepUnread));
    }
    // No endpoint answers the total as `unread_changed` counts it (stats include archived
    // conversations): sum the server's per-conversation counts, unless a push came meanwhile.
    if (options.archived !== true && ctx.unreadSeenAt('*') <= started) {
      const total = items.filter((i) => !i.archived).reduce((n, i) => n + i.unreadCount, 0);
      if (total !== next.totalUnread) next = { ...next, totalUnread: total };
    }
    return next;
  });
}
