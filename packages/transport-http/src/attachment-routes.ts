import type { ChatServices } from '@parley/core';
import type { Route } from './router.js';

const str = (value: unknown) => value as string;

/** File uploads over REST: a slot, its completion, a download link. */
export function attachmentRoutes(chat: ChatServices): Route[] {
  return [
    {
      method: 'POST',
      path: '/attachments',
      name: 'createUpload',
      status: 201,
      handle: async ({ user, body }) => chat.attachments.createUpload(user.id, (await body()) as never),
    },
    {
      method: 'POST',
      path: '/attachments/:id/complete',
      name: 'completeUpload',
      handle: async ({ user, params }) => ({ attachment: await chat.attachments.completeUpload(user.id, str(params.id)) }),
    },
    {
      method: 'GET',
      path: '/attachments/:id',
      name: 'getAttachment',
      handle: async ({ user, params }) => chat.attachments.getDownload(user.id, str(params.id)),
    },
  ];
}
