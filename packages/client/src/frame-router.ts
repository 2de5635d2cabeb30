import type { ParsedServerFrame } from '@parley/core/protocol';
import type { CatchUp } from './catch-up.js';
import type { Outbox } from './outbox.js';
import { removeView, updateView, viewWithRead, viewWithUnread, viewWithUpdate } from './state/conversations.js';
import { withChangedMessage, withDeleted, withMessages, withReactions, withTruncation } from './state/events.js';
import { withThreadSummary, withThreadUnread } from './state/threads.js';
import type { Store } from './state/store.js';
import type { ParleyState } from './state/types.js';
import { hasGap } from './state/windows.js';
import { withPin, withPinnedMessage, withPinnedReactions, withoutPin } from './state/pins.js';
import { typingList, type TypingTimers } from './typing.js';

/** What the frame router may touch of the client. */
export interface RouterContext {
  store: Store;
  outbox: Outbox;
  catchUp: CatchUp;
  typing: TypingTimers;
  me(): string | null;
  /** A conversation left us (left, removed, ended): forget its room. */
  forget(conversationId: string): void;
  /** The server may have missed events for us: catch up everything held. */
  resync(): void;
  /** The conversation list changed in ways the event alone does not tell. */
  listChanged(): void;
  /** The moment of the last `unread_changed` per conversation, so an older list load does not undo it. */
  unreadSeen(conversationId: string): void;
  /** Pins held changed: the expiry timer follows. */
  pinsChanged(): void;
}

const LEAVING = new Set(['member_removed', 'member_left']);

/** Applies one server event (not a reply) to the state. */
export function routeFrame(ctx: RouterContext, frame: ParsedServerFrame): void {
  if (!frame.known) return;
  const update = (change: (s: ParleyState) => ParleyState) => ctx.store.update(change);
  switch (frame.type) {
    // `message_sent` is a reply, completed from its send by the client before it gets here (as `new_message`, with the root's `thread`).
    case 'new_message': {
      const { message, thread } = frame.data;
      update((s) => withMessages(s, message.conversationId, [message]));
      if (thread !== undefined && message.threadId != null) update((s) => withThreadSummary(s, message.conversationId, message.threadId!, thread, message.version));
      ctx.outbox.stored(message);
      const window = ctx.store.getState().windows[message.conversationId];
      if (window !== undefined && hasGap(window)) ctx.catchUp.gap(message.conversationId);
      return;
    }
    case 'message_edited':
    case 'message_edit_success':
      return update((s) => withPinnedMessage(withChangedMessage(s, frame.data.message), frame.data.message));
    case 'message_deleted':
      // A delete for everyone also unpins: the server tells it by this event alone.
      return update((s) => (frame.data.forEveryone ? withoutPin(withDeleted(s, frame.data), frame.data.conversationId, frame.data.messageId) : withDeleted(s, frame.data)));
    case 'message_pinned':
      update((s) => withPin(s, frame.data.pin, new Date().toISOString()));
      return ctx.pinsChanged();
    case 'message_unpinned':
      return update((s) => withoutPin(s, frame.data.conversationId, frame.data.messageId));
    case 'message_reaction_updated':
      return update((s) => withPinnedReactions(withReactions(s, frame.data), frame.data));
    case 'messages_read': {
      const { conversationId, userId, lastReadSeq } = frame.data;
      return update((s) => (s.conversations[conversationId] === undefined ? s : updateView(s, conversationId, (v) => viewWithRead(v, userId, lastReadSeq, ctx.me()))));
    }
    case 'read_position_changed': {
      const { conversationId, userId, lastReadSeq } = frame.data;
      return update((s) => updateView(s, conversationId, (v) => viewWithRead(v, userId, lastReadSeq, ctx.me(), true)));
    }
    case 'unread_changed': {
      const data = frame.data;
      ctx.unreadSeen(data.conversationId);
      return update((s) => {
        const next = data.unreadCount === 0 && s.conversations[data.conversationId] === undefined ? s : updateView(s, data.conversationId, (v) => viewWithUnread(v, data));
        return next.totalUnread === data.totalUnread ? next : { ...next, totalUnread: data.totalUnread };
      });
    }
    case 'thread_unread_changed':
      return update((s) => withThreadUnread(s, frame.data));
    case 'conversation_updated': {
      const data = frame.data;
      const gone = data.updateType === 'deleted' || (LEAVING.has(data.updateType) && (data.data as { userId?: unknown }).userId === ctx.me());
      if (gone) {
        ctx.forget(data.conversationId);
        update((s) => removeView(s, data.conversationId));
      } else {
        update((s) => updateView(s, data.conversationId, (v) => viewWithUpdate(v, data)));
        const cut = (data.data as { truncatedBefore?: unknown }).truncatedBefore;
        if (data.updateType === 'history_truncated' && typeof cut === 'number') update((s) => withTruncation(s, data.conversationId, cut));
      }
      ctx.listChanged();
      return;
    }
    case 'user_online':
    case 'user_offline': {
      const { userId, online } = frame.data;
      return update((s) => {
        if ((s.online[userId] === true) === online) return s;
        const { [userId]: _was, ...rest } = s.online;
        return { ...s, online: online ? { ...rest, [userId]: true } : rest };
      });
    }
    case 'user_typing':
    case 'user_stopped_typing': {
      const { conversationId, userId } = frame.data;
      if (userId === ctx.me()) return;
      const typing = frame.type === 'user_typing';
      if (typing) ctx.typing.touch(conversationId, userId);
      else ctx.typing.clear(conversationId, userId);
      return update((s) => {
        const list = typingList(s.typing[conversationId], userId, typing);
        return list === s.typing[conversationId] || (list.length === 0 && s.typing[conversationId] === undefined) ? s : { ...s, typing: { ...s.typing, [conversationId]: list } };
      });
    }
    case 'resync':
      return ctx.resync();
    default:
  }
}
