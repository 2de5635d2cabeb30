import * as z from 'zod/mini';
import { auditEntrySchema, banSchema, memberSchema, pageSchema, reportSchema } from './domain.js';

/**
 * What the moderation kit answers, over REST and as WebSocket replies alike (one shape each,
 * so the two transports cannot drift). Like domain.ts, these describe what the server sends.
 */

const id = z.string();

/** `unban_member` / `DELETE /conversations/:id/bans/:userId`. */
export const unbanResultSchema = z.object({ conversationId: id, userId: id });

/** `silence_member`, `unsilence_member` and their REST routes: the member as it is now. */
export const memberResultSchema = z.object({ member: memberSchema });

/** `set_slow_mode` / `PUT /conversations/:id/slow-mode`. */
export const slowModeResultSchema = z.object({ conversationId: id, slowModeSeconds: z.int() });

/** `block_user`, `unblock_user` and `/blocks`: the other user and whether the caller blocks them now. */
export const blockResultSchema = z.object({ userId: id, blocked: z.boolean() });

/** `list_blocked` / `GET /blocks`. */
export const blockedUsersSchema = z.object({ userIds: z.array(id) });

/** `list_bans` / `GET /conversations/:id/bans`: the bans in force. */
export const banListSchema = z.object({ items: z.array(banSchema) });

/** `report_message` / `POST /conversations/messages/:id/report`: the caller's report (the first one, when reported again). */
export const reportResultSchema = z.object({ report: reportSchema });

/** `resolve_report` / `POST /reports/:id/resolve`: every report the action resolved. */
export const resolveResultSchema = z.object({ reports: z.array(reportSchema) });

export const reportPageSchema = pageSchema(reportSchema);
export const auditPageSchema = pageSchema(auditEntrySchema);
