import type { UserReaction } from '../adapters/chat-store.js';
import { validate } from '../domain/validate.js';
import type { Member, Message } from '../domain/types.js';
import { nowIso, type ServiceContext } from './service-context.js';

/** The version of the export's line format; bumped when a line changes incompatibly. */
export const USER_EXPORT_FORMAT = 1;

/**
 * One line of a user's NDJSON export. The first is `export`, the last `end` (with counts): an
 * export without its `end` line was cut off. Messages are the user's own, without reactions
 * (those name other people); attachments are listed as on the message, their bytes are not
 * included.
 */
export type UserExportLine =
  | { type: 'export'; format: number; userId: string; exportedAt: string }
  | { type: 'membership'; conversationId: string; role: Member['role']; joinedAt: string; mutedUntil: string | null; archivedAt: string | null }
  | { type: 'read_position'; conversationId: string; lastReadSeq: number; lastReadAt: string | null }
  | { type: 'message'; message: Omit<Message, 'reactions'> }
  | { type: 'reaction'; reaction: UserReaction }
  | { type: 'end'; counts: { memberships: number; messages: number; reactions: number } };

export interface EraseResult {
  userId: string;
  /** Messages turned into tombstones by this call (0 when a previous call did it all). */
  tombstoned: number;
  /** Reactions removed by this call. */
  reactionsRemoved: number;
  /** Store passes (transactions) it took. */
  passes: number;
}

const PAGE = 500;

/**
 * A user's own data: an export (GDPR art. 15 and 20) and an erase (art. 17). Both are host
 * level — the REST route lets users export their own data; nobody but the host erases.
 */
export class UserDataService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * The user's data as NDJSON lines (each ends with `\n`), read page by page from the store as
   * the consumer pulls them, so an export of any size is never held in memory: their
   * memberships and read positions, every message they sent (tombstones included), every
   * reaction they made. Pages are keyset-ordered, so a message sent during the export is
   * either in it or not, never twice.
   */
  exportUserData(userId: string): AsyncIterable<string> {
    const id = validate(this.ctx.schemas.id, userId, 'userId');
    const { store } = this.ctx;
    const now = nowIso(this.ctx);
    return {
      async *[Symbol.asyncIterator]() {
        const line = (value: UserExportLine) => `${JSON.stringify(value)}\n`;
        yield line({ type: 'export', format: USER_EXPORT_FORMAT, userId: id, exportedAt: now });
        const memberships = await store.listUserMemberships(id);
        for (const m of memberships) {
          yield line({ type: 'membership', conversationId: m.conversationId, role: m.role, joinedAt: m.joinedAt, mutedUntil: m.mutedUntil, archivedAt: m.archivedAt });
          yield line({ type: 'read_position', conversationId: m.conversationId, lastReadSeq: m.lastReadSeq, lastReadAt: m.lastReadAt });
        }
        let messages = 0;
        let after: { createdAt: string; id: string } | null = null;
        for (;;) {
          const page: Message[] = await store.listUserMessages(id, after, PAGE);
          for (const { reactions: _others, ...message } of page) {
            messages += 1;
            yield line({ type: 'message', message });
          }
          if (page.length < PAGE) break;
          const last: Message = page[page.length - 1]!;
          after = { createdAt: last.createdAt, id: last.id };
        }
        let reactions = 0;
        let afterReaction: { messageId: string; emoji: string } | null = null;
        for (;;) {
          const page: UserReaction[] = await store.listUserReactions(id, afterReaction, PAGE);
          for (const reaction of page) {
            reactions += 1;
            yield line({ type: 'reaction', reaction });
          }
          if (page.length < PAGE) break;
          const last: UserReaction = page[page.length - 1]!;
          afterReaction = { messageId: last.messageId, emoji: last.emoji };
        }
        yield line({ type: 'end', counts: { memberships: memberships.length, messages, reactions } });
      },
    };
  }

  /**
   * Erases the user's data on this store: their messages become tombstones (content,
   * attachments and metadata gone; the row stays so conversations keep their shape, and the
   * other members see "deleted"), their reactions, read positions, search rows and the
   * outbox rows of their messages are removed, and every file they uploaded goes to the
   * attachment purge. Memberships stay: remove the user from conversations with the ordinary
   * calls. Runs in passes of one transaction each and is idempotent, so a crash midway is
   * repaired by calling it again. Members' clients hear `message_deleted` and
   * `reaction_updated` as for any delete; the user's own, `read_position_changed` (to 0) for
   * each conversation they are still in.
   */
  async eraseUserData(userId: string, options: { batchSize?: number } = {}): Promise<EraseResult> {
    const id = validate(this.ctx.schemas.id, userId, 'userId');
    const batchSize = options.batchSize ?? PAGE;
    const result: EraseResult = { userId: id, tombstoned: 0, reactionsRemoved: 0, passes: 0 };
    for (;;) {
      // Members' webhooks hear `message.deleted` for each tombstone, written with it.
      const pass = await this.ctx.store.eraseUserData(id, nowIso(this.ctx), batchSize, this.ctx.webhooks.messageDeleted(id));
      result.passes += 1;
      result.tombstoned += pass.tombstoned.length;
      for (const message of pass.tombstoned) {
        this.ctx.events.emit('message_deleted', {
          conversationId: message.conversationId,
          messageId: message.id,
          forEveryone: true,
          deletedBy: id,
          version: message.version,
          audience: await this.ctx.membership.memberIds(message.conversationId),
          origin: {},
        });
      }
      for (const { message, emoji } of pass.unreacted) {
        result.reactionsRemoved += emoji.length;
        const audience = await this.ctx.membership.memberIds(message.conversationId);
        for (const e of emoji) {
          this.ctx.events.emit('reaction_updated', {
            conversationId: message.conversationId,
            messageId: message.id,
            reactions: message.reactions,
            userId: id,
            emoji: e,
            action: 'removed',
            version: message.version,
            audience,
            origin: {},
          });
        }
      }
      if (pass.done) break;
    }
    // Their read positions went back to the start: their own sockets (and the unread counts
    // the hub keeps for them) hear it, conversation by conversation, as after mark_unread.
    for (const conversationId of await this.ctx.store.listUserConversationIds(id)) {
      this.ctx.events.emit('read_position_changed', { conversationId, userId: id, lastReadSeq: 0, audience: [id], origin: {} });
    }
    // Their files are the purge's now: delete them soon rather than at the next pass.
    this.ctx.onFilesReleased();
    return result;
  }
}
