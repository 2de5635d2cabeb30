import { z } from 'zod';
import { counterSchema, idSchema, text } from '../domain/schemas.js';

/**
 * The wire protocol of SPEC §5, as schemas. PROTOCOL.md beside the package lists every frame
 * with its direction and shape; this file is what the hub enforces.
 */

export { CloseCode } from './wire/close-codes.js';
import { REPLY_OF } from './wire/client-events.js';

/** Every client frame: `{ type, id?, data? }`. */
export const clientFrameSchema = z.object({
  type: z.string({ error: 'must be a string naming the event' }).min(1).max(64),
  id: z.union([z.string().max(128), z.number().finite()], { error: 'must be a string or a number' }).optional(),
  data: z.unknown().optional(),
});
export type ClientFrame = z.infer<typeof clientFrameSchema>;

const conversationRef = z.object({ conversationId: idSchema });
const counter = counterSchema;
const reactionRef = z.object({ messageId: idSchema, emoji: z.string({ error: 'must be a string' }) });

/** The `data` of each client event. Message content itself is validated by the services. */
export const clientEventSchemas = {
  join_conversation: conversationRef,
  leave_conversation: conversationRef,
  send_message: z.looseObject({
    conversationId: idSchema,
    tempId: idSchema.optional(),
  }),
  edit_message: z.object({ messageId: idSchema, content: z.string({ error: 'must be a string' }) }),
  delete_message: z.object({ messageId: idSchema, forEveryone: z.boolean({ error: 'must be true or false' }).default(false) }),
  typing_start: conversationRef,
  typing_stop: conversationRef,
  mark_as_read: z.object({ conversationId: idSchema, messageId: idSchema.optional() }),
  mark_unread: z.object({ conversationId: idSchema, messageId: idSchema }),
  get_thread: z.object({
    threadId: idSchema,
    before: counter.optional(),
    after: counter.optional(),
    around: counter.optional(),
    limit: z.number({ error: 'must be a number' }).optional(),
  }),
  mark_thread_read: z.object({ threadId: idSchema, messageId: idSchema.optional() }),
  get_thread_unread: conversationRef,
  react_to_message: reactionRef,
  remove_reaction: reactionRef,
  sync: z.object({
    since: z.record(idSchema, z.union([counter, z.object({ seq: counter, version: counter.optional() })], { error: 'must be a seq or { seq, version }' })),
  }),
  get_presence: z.object({ userIds: z.array(idSchema).max(500, 'must name at most 500 users') }),
  create_upload: z.looseObject({ conversationId: idSchema }),
  complete_upload: z.object({ attachmentId: idSchema }),
  get_attachment: z.object({ attachmentId: idSchema }),
  pin_message: z.object({
    messageId: idSchema,
    // The services check the date itself and name the field.
    expiresAt: z.union([z.string(), z.null()], { error: 'must be an ISO-8601 date-time or null' }).optional(),
  }),
  unpin_message: z.object({ messageId: idSchema }),
  list_pins: conversationRef,
  // Offset and limit are checked by the service, which names them.
  get_message_history: z.object({ messageId: idSchema, offset: z.unknown().optional(), limit: z.unknown().optional() }),
  // The moderation kit. Reasons, notes, times and counts are validated by the services.
  ban_member: z.looseObject({ conversationId: idSchema, userId: idSchema }),
  unban_member: z.object({ conversationId: idSchema, userId: idSchema }),
  list_bans: conversationRef,
  silence_member: z.looseObject({ conversationId: idSchema, userId: idSchema }),
  unsilence_member: z.object({ conversationId: idSchema, userId: idSchema }),
  set_slow_mode: z.object({ conversationId: idSchema, seconds: z.unknown() }),
  block_user: z.object({ userId: idSchema }),
  unblock_user: z.object({ userId: idSchema }),
  list_blocked: z.looseObject({}),
  report_message: z.looseObject({ messageId: idSchema }),
  list_reports: z.object({ conversationId: idSchema, status: z.unknown().optional(), limit: z.unknown().optional(), cursor: z.unknown().optional() }),
  resolve_report: z.object({ reportId: idSchema, action: z.unknown() }),
  get_audit_log: z.object({ conversationId: idSchema, limit: z.unknown().optional(), cursor: z.unknown().optional() }),
  authenticate: z.object({ token: text().min(1, 'must not be empty').max(16_384, 'must be at most 16384 characters') }),
  ping: z.looseObject({}),
} as const;

export type ClientEvent = keyof typeof clientEventSchemas;
export const CLIENT_EVENTS = Object.keys(clientEventSchemas) as ClientEvent[];

/** What each client event answers with on success (the literal table is `REPLY_OF`). */
export const SUCCESS_REPLIES: Record<ClientEvent, string> = REPLY_OF;

/** Server → client: `{ type, data, replyTo? }`. */
export interface ServerFrame {
  type: string;
  data: unknown;
  replyTo?: string | number;
}
