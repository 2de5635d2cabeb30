import type { ChatServices } from '@parley/core';
import { query } from './http-io.js';
import type { Route } from './router.js';

const str = (value: unknown) => value as string;

/** Threads: a page of replies, the caller's read position in a thread, the threads they follow. */
export function threadRoutes(chat: ChatServices): Route[] {
  const { threads } = chat;
  return [
    {
      method: 'GET',
      path: '/conversations/messages/:id/thread',
      name: 'threadMessages',
      handle: async ({ user, params, query: q }) =>
        threads.getThreadMessages(str(params.id), user.id, {
          before: query.number(q, 'before'),
          after: query.number(q, 'after'),
          around: query.number(q, 'around'),
          limit: query.number(q, 'limit'),
        }),
    },
    {
      method: 'POST',
      path: '/conversations/messages/:id/thread/read',
      name: 'markThreadRead',
      handle: async ({ user, params, body }) => threads.markThreadRead(str(params.id), user.id, (await body()).messageId as string | undefined),
    },
    {
      method: 'GET',
      path: '/conversations/:id/threads',
      name: 'threadUnread',
      handle: async ({ user, params }) => ({ conversationId: str(params.id), threads: await threads.getThreadReadStates(str(params.id), user.id) }),
    },
  ];
}
