import type { ActionContext, ConversationUpdateType } from './chat-events.js';
import type { ServiceContext } from './service-context.js';

/**
 * After a change of members, roles or what the membership cache holds about a conversation
 * (slow mode, blocks): drop this node's caches (other nodes drop theirs on the
 * `membership_changed` event the hub relays), then tell everyone concerned.
 */
export async function announceMembershipChange(
  ctx: ServiceContext,
  conversationId: string,
  change: { added: string[]; removed: string[] },
  audience: string[],
  updateType: ConversationUpdateType,
  data: Record<string, unknown>,
  origin: ActionContext,
): Promise<void> {
  ctx.membership.invalidate(conversationId);
  const moved = [...change.added, ...change.removed];
  if (moved.length > 0) {
    await ctx.presence.invalidateUserConversations(moved).catch((error: unknown) => {
      ctx.logger.warn('could not invalidate the conversation cache', { error: String(error) });
    });
  }
  ctx.events.emit('membership_changed', { conversationId, added: change.added, removed: change.removed });
  announceUpdate(ctx, conversationId, updateType, data, audience, origin);
}

/** `conversation_updated` to `audience` (each user once). */
export function announceUpdate(
  ctx: ServiceContext,
  conversationId: string,
  updateType: ConversationUpdateType,
  data: Record<string, unknown>,
  audience: string[],
  origin: ActionContext,
): void {
  ctx.events.emit('conversation_updated', { conversationId, updateType, data, audience: [...new Set(audience)], origin });
}
