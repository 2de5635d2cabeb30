import type { ChatServices, ReportStatus, ResolveAction } from '@parley/core';
import { query } from './http-io.js';
import type { Route } from './router.js';

const str = (value: unknown) => value as string;

/** The moderation kit over REST: bans, muting members, slow mode, blocks, reports, the audit log. */
export function moderationRoutes(chat: ChatServices): Route[] {
  const { moderation } = chat;
  return [
    {
      method: 'POST',
      path: '/conversations/:id/bans',
      name: 'banMember',
      status: 201,
      handle: async ({ user, params, body }) => moderation.ban(str(params.id), user.id, (await body()) as never),
    },
    { method: 'GET', path: '/conversations/:id/bans', name: 'listBans', handle: async ({ user, params }) => ({ items: await moderation.listBans(str(params.id), user.id) }) },
    {
      method: 'DELETE',
      path: '/conversations/:id/bans/:userId',
      name: 'unbanMember',
      handle: async ({ user, params }) => {
        await moderation.unban(str(params.id), user.id, str(params.userId));
        return { conversationId: str(params.id), userId: str(params.userId) };
      },
    },
    {
      method: 'POST',
      path: '/conversations/:id/members/:memberId/silence',
      name: 'silenceMember',
      handle: async ({ user, params, body }) => ({ member: await moderation.silenceMember(str(params.id), user.id, { ...(await body()), userId: str(params.memberId) } as never) }),
    },
    {
      method: 'DELETE',
      path: '/conversations/:id/members/:memberId/silence',
      name: 'unsilenceMember',
      handle: async ({ user, params }) => ({ member: await moderation.unsilenceMember(str(params.id), user.id, str(params.memberId)) }),
    },
    {
      method: 'PUT',
      path: '/conversations/:id/slow-mode',
      name: 'setSlowMode',
      handle: async ({ user, params, body }) => moderation.setSlowMode(str(params.id), user.id, (await body()).seconds as number),
    },
    {
      method: 'GET',
      path: '/conversations/:id/reports',
      name: 'listReports',
      handle: async ({ user, params, query: q }) =>
        moderation.listReports(str(params.id), user.id, {
          status: query.string(q, 'status') as ReportStatus | undefined,
          limit: query.number(q, 'limit'),
          cursor: query.string(q, 'cursor'),
        }),
    },
    {
      method: 'GET',
      path: '/conversations/:id/audit',
      name: 'auditLog',
      handle: async ({ user, params, query: q }) => moderation.auditLog(str(params.id), user.id, { limit: query.number(q, 'limit'), cursor: query.string(q, 'cursor') }),
    },
    {
      method: 'POST',
      path: '/conversations/messages/:id/report',
      name: 'reportMessage',
      status: 201,
      handle: async ({ user, params, body }) => ({ report: await moderation.reportMessage(str(params.id), user.id, (await body()) as never) }),
    },
    {
      method: 'POST',
      path: '/reports/:id/resolve',
      name: 'resolveReport',
      handle: async ({ user, params, body }) => ({ reports: await moderation.resolveReport(str(params.id), user.id, (await body()).action as ResolveAction) }),
    },
    { method: 'GET', path: '/blocks', name: 'listBlocked', handle: async ({ user }) => ({ userIds: await moderation.listBlockedUsers(user.id) }) },
    { method: 'POST', path: '/blocks', name: 'blockUser', handle: async ({ user, body }) => moderation.blockUser(user.id, (await body()).userId as string) },
    { method: 'DELETE', path: '/blocks/:userId', name: 'unblockUser', handle: async ({ user, params }) => moderation.unblockUser(user.id, str(params.userId)) },
  ];
}
