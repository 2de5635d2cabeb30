import * as z from 'zod/mini';
import { messageSchema } from './domain.js';

/**
 * Pins and edit history as they travel to clients (issue 14). Like domain.ts, these describe
 * what the server sends; `test/wire-schemas.test.ts` proves them assignable both ways to
 * `Pin`, `MessageHistory` and `UnpinResult`.
 */

const iso = z.string();

/** A pinned message: who pinned it, when, until when (null: until unpinned), and the message as it is now. */
export const pinSchema = z.object({
  conversationId: z.string(),
  messageId: z.string(),
  pinnedBy: z.string(),
  pinnedAt: iso,
  expiresAt: z.nullable(iso),
  message: messageSchema,
});

/** `GET /conversations/:id/pins` and `pins_result`. */
export const pinListSchema = z.object({ conversationId: z.string(), pins: z.array(pinSchema) });

/** `DELETE /conversations/messages/:id/pin` and `unpin_message_success`. */
export const unpinResultSchema = z.object({
  messageId: z.string(),
  conversationId: z.string(),
  /** False when it was not pinned (or its pin had expired): nothing was announced. */
  unpinned: z.boolean(),
});

/** One earlier text of an edited message. */
export const messageVersionSchema = z.object({
  messageId: z.string(),
  content: z.nullable(z.string()),
  createdAt: iso,
  replacedAt: iso,
});

/** `GET /conversations/messages/:id/history` and `message_history`: the current text and every earlier one, oldest first. */
export const messageHistorySchema = z.object({
  messageId: z.string(),
  conversationId: z.string(),
  content: z.nullable(z.string()),
  editedAt: z.nullable(iso),
  versions: z.array(messageVersionSchema),
  hasMore: z.boolean(),
});
