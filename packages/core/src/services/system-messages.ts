import type { ActionContext } from './chat-events.js';
import type { Message } from '../domain/types.js';
import { newId } from '../util/ids.js';
import { nowIso, type ServiceContext } from './service-context.js';

export type SystemEvent = 'group_created' | 'members_added' | 'member_removed' | 'member_left' | 'role_changed' | 'owner_changed' | 'announcement' | 'member_banned' | 'slow_mode_changed';

/** Display names for system messages: the host's names where it gives them, else the ids. */
export async function displayNames(ctx: ServiceContext, userIds: string[]): Promise<Map<string, string>> {
  const names = new Map(userIds.map((id) => [id, id]));
  if (ctx.resolveUsers === undefined || userIds.length === 0) return names;
  try {
    for (const profile of await ctx.resolveUsers(userIds)) names.set(profile.id, profile.name);
  } catch (error) {
    ctx.logger.warn('resolveUsers failed; system message uses ids', { error: String(error) });
  }
  return names;
}

export function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * Posts a `system` message ("Alice added Bob") through the same batched insert as user sends,
 * so it takes its place in `seq` order, and raises `message_created` for it. `metadata` lets
 * clients render their own wording. Null when the conversation no longer exists.
 */
export async function postSystemMessage(
  ctx: ServiceContext,
  conversationId: string,
  actorId: string,
  content: string,
  metadata: { event: SystemEvent; [key: string]: unknown },
  origin: ActionContext = {},
): Promise<Message | null> {
  const result = await ctx.batcher.insert({
    id: newId(),
    conversationId,
    senderId: actorId,
    type: 'system',
    content,
    replyToId: null,
    attachments: [],
    metadata: { ...metadata, actorId },
    clientMessageId: null,
    createdAt: nowIso(ctx),
    notify: false,
    webhooks: ctx.webhooks.message('message.sent'),
  });
  // System messages skip the membership check; only a conversation deleted meanwhile (its
  // last members left at once) refuses one, and then there is nobody left to tell.
  if (result.status === 'refused') return null;
  const { message } = result;
  ctx.events.emit('message_created', {
    message,
    clientMessageId: null,
    audience: await ctx.membership.memberIds(conversationId),
    origin,
  });
  return message;
}
