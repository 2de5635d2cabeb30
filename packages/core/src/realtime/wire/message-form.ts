import type { Message } from '../../domain/types.js';

/**
 * How a message travels on the socket (issue 10): without the fields that hold their default
 * — a new text message has no `replyToId`, reactions, edit or delete yet, and ~120 bytes of
 * nulls and empty arrays said so on every delivery — and, in the sender's `message_sent`,
 * without what the sender already has. `messageSchema` puts the defaults back when it parses,
 * so a client reading frames through `parseServerFrame` sees whole messages either way.
 * Browser-safe: the client fills in its acknowledgements with the same functions.
 */

/** The value a message field has when the wire leaves it out. */
export const MESSAGE_DEFAULTS = {
  type: 'text',
  content: null,
  replyToId: null,
  attachments: [],
  metadata: null,
  clientMessageId: null,
  editedAt: null,
  deletedAt: null,
  deletedForEveryone: false,
  reactions: [],
  // Threads and mentions: most messages are neither.
  threadId: null,
  alsoToConversation: false,
  thread: null,
  mentions: [],
  mentionEveryone: false,
} as const satisfies Partial<Message>;

/** What every acknowledgement carries: what the server alone decides. */
export type MessageAck = Pick<Message, 'id' | 'seq' | 'version' | 'createdAt'> & Partial<Message>;

/** What a sent message looks like from the sender's side, before the server answers. */
export interface SentMessage {
  conversationId: string;
  senderId: string;
  /** The send's `clientMessageId` or `tempId`. */
  clientMessageId: string | null;
  type?: Message['type'] | undefined;
  content?: string | null | undefined;
  replyToId?: string | null | undefined;
  attachments?: Message['attachments'] | undefined;
  metadata?: Message['metadata'] | undefined;
  threadId?: string | null | undefined;
  alsoToConversation?: boolean | undefined;
  mentions?: string[] | undefined;
  mentionEveryone?: boolean | undefined;
}

type Derived = Omit<Message, 'id' | 'seq' | 'version' | 'createdAt'>;

/** The message as its sender can work it out from the send alone. */
export function sentMessageBasis(sent: SentMessage): Derived {
  const basis: Derived = {
    conversationId: sent.conversationId,
    senderId: sent.senderId,
    type: sent.type ?? 'text',
    content: sent.content ?? null,
    replyToId: sent.replyToId ?? null,
    attachments: sent.attachments ?? [],
    metadata: sent.metadata ?? null,
    clientMessageId: sent.clientMessageId,
    editedAt: null,
    deletedAt: null,
    deletedForEveryone: false,
    reactions: [],
  };
  // Thread and mention fields only when the send has them: absent, the wire default holds.
  // (Assigned rather than spread in: this runs for every acknowledgement.)
  if ((sent.threadId ?? null) !== null) {
    basis.threadId = sent.threadId!;
    basis.alsoToConversation = sent.alsoToConversation === true;
  }
  if ((sent.mentions ?? []).length > 0) basis.mentions = sent.mentions!;
  if (sent.mentionEveryone === true) basis.mentionEveryone = true;
  return basis;
}

const isEmptyArray = (value: object) => Array.isArray(value) && value.length === 0;

/** Equal values; objects by their JSON (empty arrays, the common case, without serialising). */
const same = (a: unknown, b: unknown) =>
  a === b || (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && ((isEmptyArray(a) && isEmptyArray(b)) || JSON.stringify(a) === JSON.stringify(b)));

/** `message` without the fields that hold their default. */
export function compactMessage(message: Message): Partial<Message> {
  const out: Record<string, unknown> = {};
  for (const key in message) {
    const value = message[key as keyof Message];
    const fallback = (MESSAGE_DEFAULTS as Record<string, unknown>)[key];
    if (fallback === undefined || !same(value, fallback)) out[key] = value;
  }
  return out as Partial<Message>;
}

/**
 * The `message` of `message_sent`: id, seq, version and time, plus every field whose stored
 * value is not what the sender sent — a hook rewrote the content, uploads were attached, or a
 * resend found a message edited since. Whatever it leaves out, `completeSentMessage` restores.
 */
export function messageAck(stored: Message, sent: SentMessage): MessageAck {
  const basis = sentMessageBasis(sent) as Record<string, unknown>;
  const ack: Record<string, unknown> = { id: stored.id, seq: stored.seq, version: stored.version, createdAt: stored.createdAt };
  // Over the stored message's fields, so a field the basis does not know (added to Message
  // later) is always sent rather than silently lost.
  for (const key in stored) {
    if (key in ack) continue;
    const value = stored[key as keyof Message];
    // What the send implies, else the field's wire default; a field with neither is always sent.
    const implied = key in basis ? basis[key] : (MESSAGE_DEFAULTS as Record<string, unknown>)[key];
    if (implied === undefined || !same(value, implied)) ack[key] = value;
  }
  return ack as MessageAck;
}

/** The whole stored message from the acknowledgement and the send it answers. */
export function completeSentMessage(ack: MessageAck, sent: SentMessage): Message {
  return { ...sentMessageBasis(sent), ...ack };
}
