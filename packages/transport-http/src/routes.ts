import type { ChatServices, Logger, MemberRole, MessageType } from '@parley/core';
import { ChatError, silentLogger } from '@parley/core';
import type { MemberRemoved } from '@parley/core/protocol';
import { query } from './http-io.js';
import type { Route } from './router.js';
import { attachmentRoutes } from './attachment-routes.js';
import { threadRoutes } from './thread-routes.js';
import { moderationRoutes } from './moderation-routes.js';
import { userDataRoutes } from './user-data-routes.js';

const str = (value: unknown) => value as string;

/** Every route of SPEC §4 (the seed's ConversationController), each a thin call into the services. */
export function chatRoutes(chat: ChatServices, logger: Logger = silentLogger): Route[] {
  const { conversations, messages } = chat;
  return [
    {
      method: 'GET',
      path: '/conversations',
      name: 'listConversations',
      handle: async ({ user, query: q }) =>
        conversations.getUserConversations(user.id, {
          type: query.string(q, 'type') as 'direct' | 'group' | undefined,
          archived: query.boolean(q, 'archived'),
          search: query.string(q, 'search'),
          limit: query.number(q, 'limit'),
          cursor: query.string(q, 'cursor'),
        }),
    },
    { method: 'GET', path: '/conversations/stats', name: 'conversationStats', handle: async ({ user }) => conversations.getConversationStats(user.id) },
    {
      method: 'GET',
      path: '/conversations/messages/search',
      name: 'searchMessages',
      fields: { query: 'q' },
      handle: async ({ user, query: q }) => {
        const text = q.get('q');
        if (text === null) throw ChatError.validation('q', 'is required');
        return messages.searchMessages(user.id, text, {
          conversationId: query.string(q, 'conversationId'),
          senderId: query.string(q, 'senderId'),
          type: query.string(q, 'type') as MessageType | undefined,
          from: query.string(q, 'from'),
          to: query.string(q, 'to'),
          limit: query.number(q, 'limit'),
          cursor: query.string(q, 'cursor'),
        });
      },
    },
    { method: 'GET', path: '/conversations/:id', name: 'getConversation', handle: async ({ user, params }) => conversations.getConversationById(str(params.id), user.id) },
    {
      method: 'POST',
      path: '/conversations/direct',
      name: 'createDirect',
      status: 201,
      handle: async ({ user, body }) => conversations.createDirectConversation(user.id, (await body()).recipientId as string),
    },
    {
      method: 'POST',
      path: '/conversations/group',
      name: 'createGroup',
      status: 201,
      handle: async ({ user, body }) => conversations.createGroupConversation(user.id, (await body()) as never),
    },
    { method: 'PUT', path: '/conversations/:id', name: 'updateConversation', handle: async ({ user, params, body }) => conversations.updateConversation(str(params.id), user.id, (await body()) as never) },
    { method: 'POST', path: '/conversations/:id/archive', name: 'archive', handle: async ({ user, params }) => conversations.archiveConversation(str(params.id), user.id) },
    { method: 'DELETE', path: '/conversations/:id/archive', name: 'unarchive', handle: async ({ user, params }) => conversations.unarchiveConversation(str(params.id), user.id) },
    {
      method: 'POST',
      path: '/conversations/:id/mute',
      name: 'mute',
      handle: async ({ user, params, body }) => conversations.muteConversation(str(params.id), user.id, (await body()).until as string | undefined),
    },
    { method: 'DELETE', path: '/conversations/:id/mute', name: 'unmute', handle: async ({ user, params }) => conversations.unmuteConversation(str(params.id), user.id) },
    { method: 'POST', path: '/conversations/:id/leave', name: 'leave', handle: async ({ user, params }) => conversations.leaveConversation(str(params.id), user.id) },
    { method: 'GET', path: '/conversations/:id/members', name: 'listMembers', handle: async ({ user, params }) => conversations.getConversationMembers(str(params.id), user.id) },
    {
      method: 'POST',
      path: '/conversations/:id/members',
      name: 'addMembers',
      status: 201,
      handle: async ({ user, params, body }) => conversations.addMembers(str(params.id), user.id, (await body()).memberIds as string[]),
    },
    {
      method: 'DELETE',
      path: '/conversations/:id/members/:memberId',
      name: 'removeMember',
      handle: async ({ user, params }) => {
        await conversations.removeMember(str(params.id), user.id, str(params.memberId));
        return { conversationId: str(params.id), memberId: str(params.memberId), removed: true } satisfies MemberRemoved;
      },
    },
    {
      method: 'PUT',
      path: '/conversations/:id/members/:memberId/role',
      name: 'updateRole',
      handle: async ({ user, params, body }) =>
        conversations.updateMemberRole(str(params.id), user.id, str(params.memberId), (await body()).role as MemberRole),
    },
    {
      method: 'GET',
      path: '/conversations/:id/messages',
      name: 'listMessages',
      handle: async ({ user, params, query: q }) =>
        messages.getConversationMessages(str(params.id), user.id, {
          before: query.number(q, 'before'),
          after: query.number(q, 'after'),
          around: query.number(q, 'around'),
          limit: query.number(q, 'limit'),
        }),
    },
    {
      method: 'POST',
      path: '/conversations/messages',
      name: 'sendMessage',
      status: 201,
      handle: async ({ user, body }) => messages.sendMessage(user.id, (await body()) as never),
    },
    { method: 'GET', path: '/conversations/messages/:id', name: 'getMessage', handle: async ({ user, params }) => messages.getMessageById(str(params.id), user.id) },
    {
      method: 'PUT',
      path: '/conversations/messages/:id',
      name: 'editMessage',
      handle: async ({ user, params, body }) => messages.editMessage(str(params.id), user.id, (await body()).content as string),
    },
    {
      method: 'DELETE',
      path: '/conversations/messages/:id',
      name: 'deleteMessage',
      handle: async ({ user, params, query: q }) => messages.deleteMessage(str(params.id), user.id, query.boolean(q, 'forEveryone') ?? false),
    },
    {
      method: 'POST',
      path: '/conversations/messages/read',
      name: 'markAsRead',
      handle: async ({ user, body }) => {
        const data = await body();
        return messages.markAsRead(data.conversationId as string, user.id, data.messageId as string | undefined);
      },
    },
    {
      method: 'POST',
      path: '/conversations/:id/unread',
      name: 'markAsUnread',
      handle: async ({ user, params, body }) => messages.markAsUnread(str(params.id), user.id, (await body()).messageId as string),
    },
    {
      method: 'POST',
      path: '/conversations/messages/:id/react',
      name: 'react',
      handle: async ({ user, params, body }) => messages.reactToMessage(str(params.id), user.id, (await body()).emoji as string),
    },
    {
      method: 'DELETE',
      path: '/conversations/messages/:id/react',
      name: 'removeReaction',
      handle: async ({ user, params, body, query: q }) =>
        messages.removeReaction(str(params.id), user.id, ((await body()).emoji as string | undefined) ?? (query.string(q, 'emoji') as string)),
    },
    { method: 'GET', path: '/conversations/:id/messages/stats', name: 'messageStats', handle: async ({ user, params }) => messages.getMessageStats(str(params.id), user.id) },
    { method: 'GET', path: '/conversations/messages/:id/reactions', name: 'reactionStats', handle: async ({ user, params }) => messages.getReactionStats(str(params.id), user.id) },
    {
      method: 'GET',
      path: '/conversations/messages/:id/history',
      name: 'messageHistory',
      handle: async ({ user, params, query: q }) => messages.getMessageHistory(str(params.id), user.id, { offset: query.number(q, 'offset'), limit: query.number(q, 'limit') }),
    },
    {
      method: 'POST',
      path: '/conversations/messages/:id/pin',
      name: 'pinMessage',
      handle: async ({ user, params, body }) => {
        const data = await body();
        return chat.pins.pinMessage(str(params.id), user.id, data.expiresAt === undefined ? {} : { expiresAt: data.expiresAt as string | null });
      },
    },
    { method: 'DELETE', path: '/conversations/messages/:id/pin', name: 'unpinMessage', handle: async ({ user, params }) => chat.pins.unpinMessage(str(params.id), user.id) },
    {
      method: 'GET',
      path: '/conversations/:id/pins',
      name: 'listPins',
      handle: async ({ user, params }) => ({ conversationId: str(params.id), pins: await chat.pins.listPins(str(params.id), user.id) }),
    },
    { method: 'GET', path: '/conversations/messages/:id/receipts', name: 'readReceipts', handle: async ({ user, params }) => messages.getReadReceiptStats(str(params.id), user.id) },
    {
      method: 'GET',
      path: '/conversations/:id/changes',
      name: 'changesSince',
      fields: { seq: 'since', 'since.seq': 'since', 'since.version': 'version' },
      handle: async ({ user, params, query: q }) => {
        const seq = query.number(q, 'since') ?? 0;
        const version = query.number(q, 'version');
        return messages.getChangesSince(str(params.id), user.id, version === undefined ? seq : { seq, version });
      },
    },
    ...threadRoutes(chat),
    ...attachmentRoutes(chat),
    ...moderationRoutes(chat),
    ...userDataRoutes(chat, logger),
  ];
}
