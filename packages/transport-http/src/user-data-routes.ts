import type { ChatServices, Logger } from '@parley/core';
import { streamLines } from './http-io.js';
import type { Route } from './router.js';

/**
 * Exports a user may start per hour: each reads everything they ever wrote, so a script
 * looping on it would load the store for nothing. Shared across nodes with the Redis limiter.
 */
export const EXPORT_RATE = { limit: 5, windowMs: 3_600_000 };

/** A user's own data over REST: the export of everything Parley holds about the caller. */
export function userDataRoutes(chat: ChatServices, logger: Logger): Route[] {
  return [
    {
      method: 'GET',
      path: '/me/export',
      name: 'exportMyData',
      handle: async ({ user, res }) => {
        await chat.rateLimits.consume(`export:${user.id}`, EXPORT_RATE, 'data exports');
        const name = `parley-export-${user.id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64)}.ndjson`;
        await streamLines(
          res,
          chat.userData.exportUserData(user.id),
          { 'content-type': 'application/x-ndjson; charset=utf-8', 'content-disposition': `attachment; filename="${name}"` },
          (error) => logger.error('the data export failed midway; the response was cut off', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
        );
        return undefined;
      },
    },
  ];
}
