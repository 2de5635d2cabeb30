import { ChatError } from '../domain/errors.js';
import type { Pin } from '../domain/pins.js';
import type { PinInput } from '../domain/schemas.js';
import { validate } from '../domain/validate.js';
import type { ActionContext } from './chat-events.js';
import type { MessageService } from './message-service.js';
import { nowIso, type ServiceContext } from './service-context.js';

export interface UnpinResult {
  messageId: string;
  conversationId: string;
  /** False when the message was not pinned (or its pin had expired): nothing was announced. */
  unpinned: boolean;
}

/**
 * Pinned messages (issue 14): several per conversation, up to `maxPinsPerConversation`, each
 * with who pinned it, when, and an optional expiry after which it is neither counted nor
 * listed. Members with the `pin` capability (everyone, by default) pin and unpin; every member
 * lists. The cap is decided by the store under the conversation's lock, so two members pinning
 * the last free place at once on two nodes cannot both get it.
 */
export class PinService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly messages: MessageService,
  ) {}

  /** Pins a message (again: replaces who, when and the expiry). `expiresAt` must be in the future. */
  async pinMessage(messageId: string, userId: string, input: PinInput = {}, origin: ActionContext = {}): Promise<Pin> {
    const data = validate(this.ctx.schemas.pin, input ?? {}, 'input');
    const { message, actor, member, type } = await this.messages.requireMessage(messageId, userId);
    this.ctx.capabilities.require(type, member.role, 'pin', 'You cannot pin messages in this conversation');
    const now = nowIso(this.ctx);
    if (member.silencedUntil !== null && member.silencedUntil > now) throw ChatError.forbidden('A moderator muted you in this conversation');
    const expiresAt = data.expiresAt === undefined || data.expiresAt === null ? null : new Date(data.expiresAt).toISOString();
    if (expiresAt !== null && expiresAt <= now) throw ChatError.validation('expiresAt', 'must be in the future');
    if (message.deletedForEveryone) throw new ChatError('CONFLICT', 'A deleted message cannot be pinned', { field: 'messageId' });
    const limit = this.ctx.limits.maxPinsPerConversation;
    const outcome = await this.ctx.store.pinMessage({ conversationId: message.conversationId, messageId: message.id, pinnedBy: actor, pinnedAt: now, expiresAt }, limit);
    if (outcome.status === 'not_found') throw new ChatError('CONFLICT', 'A deleted message cannot be pinned', { field: 'messageId' });
    if (outcome.status === 'limit') {
      throw new ChatError('CONFLICT', `This conversation has ${limit} pinned messages already: unpin one first`, { field: 'messageId', limit });
    }
    this.ctx.events.emit('message_pinned', {
      conversationId: message.conversationId,
      pin: outcome.pin,
      audience: await this.ctx.membership.memberIds(message.conversationId),
      origin,
    });
    return outcome.pin;
  }

  /** Removes a message's pin; harmless when it is not pinned (`unpinned: false`, nothing announced). */
  async unpinMessage(messageId: string, userId: string, origin: ActionContext = {}): Promise<UnpinResult> {
    const { message, actor, member, type } = await this.messages.requireMessage(messageId, userId);
    this.ctx.capabilities.require(type, member.role, 'pin', 'You cannot unpin messages in this conversation');
    const now = nowIso(this.ctx);
    if (member.silencedUntil !== null && member.silencedUntil > now) throw ChatError.forbidden('A moderator muted you in this conversation');
    const removed = await this.ctx.store.unpinMessage(message.id, now);
    if (removed !== null) {
      this.ctx.events.emit('message_unpinned', {
        conversationId: message.conversationId,
        messageId: message.id,
        unpinnedBy: actor,
        audience: await this.ctx.membership.memberIds(message.conversationId),
        origin,
      });
    }
    return { messageId: message.id, conversationId: message.conversationId, unpinned: removed !== null };
  }

  /** The conversation's pins in force, newest first, each with its message as it is now. Members only. */
  async listPins(conversationId: string, userId: string): Promise<Pin[]> {
    const id = validate(this.ctx.schemas.id, conversationId, 'conversationId');
    const actor = validate(this.ctx.schemas.id, userId, 'userId');
    if ((await this.ctx.store.getMember(id, actor)) === null) throw ChatError.notFound('Conversation', 'conversationId');
    return this.ctx.store.listPins(id, nowIso(this.ctx));
  }
}
