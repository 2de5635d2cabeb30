import { z } from 'zod';
import { counterSchema, idSchema, text } from '../domain/schemas.js';

/**
 * The wire protocol of SPEC §5, as schemas. PROTOCOL.md beside the package lists every frame
 * with its direction and shape; this file is what the hub enforces.
 */

export { CloseCode } from './wire/close-codes.js';

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
  get_message_history: z.object({ messageId: idSchema }),
  authenticate: z.object({ token: text().min(1, 'must not be empty').max(16_384, 'must be at most 16384 characters') }),
  ping: z.looseObject({}),
} as const;

export type ClientEvent = keyof typeof clientEventSchemas;
export const CLIENT_EVENTS = Object.keys(clientEventSchemas) as ClientEvent[];

/** What each client event answers with on success. */
export const SUCCESS_REPLIES: Record<ClientEvent, string> = {
  join_conversation: 'joined_conversation',
  leave_conversation: 'left_conversation',
  send_message: 'message_sent',
  edit_message: 'message_edit_success',
  delete_message: 'message_delete_success',
  typing_start: 'ack',
  typing_stop: 'ack',
  mark_as_read: 'mark_as_read_success',
  mark_unread: 'mark_unread_success',
  react_to_message: 'react_to_message_success',
  remove_reaction: 'remove_reaction_success',
  sync: 'sync_result',
  get_presence: 'presence_result',
  create_upload: 'upload_created',
  complete_upload: 'upload_completed',
  get_attachment: 'attachment_download',
  pin_message: 'pin_message_success',
  unpin_message: 'unpin_message_success',
  list_pins: 'pins_result',
  get_message_history: 'message_history',
  authenticate: 'authenticated',
  ping: 'pong',
};

/** Server → client: `{ type, data, replyTo? }`. */
export interface ServerFrame {
  type: string;
  data: unknown;
  replyTo?: string | number;
}
