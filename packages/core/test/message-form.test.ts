import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MESSAGE_TYPES, type Message } from '../src/index.js';
import { compactMessage, completeSentMessage, messageAck, messageAckSchema, messageSchema, replySchemas, type SentMessage } from '../src/realtime/wire/index.js';

/**
 * The wire leaves out what a message's reader can restore: default fields everywhere, and in
 * `message_sent` whatever the sender sent. Whatever the message and the send, what the reader
 * restores is the stored message, exactly.
 */

const text = fc.option(fc.string({ maxLength: 12 }), { nil: null });
const iso = fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
const attachment = fc.record({ id: fc.option(fc.string({ maxLength: 6 }), { nil: undefined }), name: fc.string({ maxLength: 6 }), mimeType: fc.constant('image/png'), size: fc.nat(1000) }).map((a) =>
  a.id === undefined ? { name: a.name, mimeType: a.mimeType, size: a.size } : a,
);
const metadata = fc.option(fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean())), { nil: null });

const message: fc.Arbitrary<Message> = fc.record({
  id: fc.string({ minLength: 1, maxLength: 8 }),
  conversationId: fc.constantFrom('c1', 'c2'),
  seq: fc.nat(1000),
  senderId: fc.constantFrom('ann', 'ben'),
  type: fc.constantFrom(...MESSAGE_TYPES),
  content: text,
  replyToId: fc.option(fc.constantFrom('m1', 'm2'), { nil: null }),
  attachments: fc.array(attachment, { maxLength: 2 }),
  metadata,
  clientMessageId: fc.option(fc.constantFrom('k1', 'k2'), { nil: null }),
  createdAt: iso,
  editedAt: fc.option(iso, { nil: null }),
  deletedAt: fc.option(iso, { nil: null }),
  deletedForEveryone: fc.boolean(),
  reactions: fc.array(fc.record({ emoji: fc.constantFrom('👍', '🎉'), count: fc.nat(5), userIds: fc.array(fc.constantFrom('ann', 'ben'), { maxLength: 2 }) }), { maxLength: 2 }),
  version: fc.nat(1000),
});

/** A send: often the very message stored, sometimes anything (a hook rewrote it, a resend found it edited). */
const sendFor = (m: Message): fc.Arbitrary<SentMessage> =>
  fc.oneof(
    fc.constant<SentMessage>({ conversationId: m.conversationId, senderId: m.senderId, clientMessageId: m.clientMessageId, type: m.type, content: m.content, replyToId: m.replyToId, attachments: m.attachments, metadata: m.metadata }),
    fc.record({
      conversationId: fc.constantFrom('c1', 'c2'),
      senderId: fc.constantFrom('ann', 'ben'),
      clientMessageId: fc.option(fc.constantFrom('k1', 'k2'), { nil: null }),
      type: fc.option(fc.constantFrom(...MESSAGE_TYPES), { nil: undefined }),
      content: fc.option(text, { nil: undefined }),
      replyToId: fc.option(fc.option(fc.constantFrom('m1', 'm2'), { nil: null }), { nil: undefined }),
      attachments: fc.option(fc.array(attachment, { maxLength: 2 }), { nil: undefined }),
      metadata: fc.option(metadata, { nil: undefined }),
    }),
  );

describe('message forms on the wire (property)', () => {
  it('a compact message parses back to the message, and leaves no default field on the wire', () => {
    fc.assert(
      fc.property(message, (m) => {
        const wire = JSON.parse(JSON.stringify(compactMessage(m))) as Record<string, unknown>;
        expect(messageSchema.parse(wire)).toEqual(m);
        for (const [key, value] of Object.entries(wire)) {
          expect([null, false, '[]'].includes(Array.isArray(value) ? JSON.stringify(value) : (value as never)), key).toBe(false);
          if (key === 'type') expect(value).not.toBe('text');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('an acknowledgement completed from its send is the stored message', () => {
    fc.assert(
      fc.property(
        message.chain((m) => fc.tuple(fc.constant(m), sendFor(m))),
        ([m, sent]) => {
          const wire = JSON.parse(JSON.stringify({ message: messageAck(m, sent) }));
          const parsed = replySchemas.message_sent.parse(wire);
          expect(completeSentMessage(parsed.message, sent)).toEqual(m);
          expect(messageAckSchema.parse(wire.message)).toEqual(wire.message);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a field the send cannot imply (one added to Message later) is always in the acknowledgement', () => {
    const stored = {
      id: 'm1', conversationId: 'c1', seq: 1, senderId: 'ann', type: 'text', content: 'hi', replyToId: null, attachments: [], metadata: null,
      clientMessageId: 't1', createdAt: '2026-01-01T00:00:00.000Z', editedAt: null, deletedAt: null, deletedForEveryone: false, reactions: [], version: 1,
      futureField: null,
    } as Message & { futureField: null };
    const sent = { conversationId: 'c1', senderId: 'ann', clientMessageId: 't1', content: 'hi' };
    expect(messageAck(stored, sent)).toEqual({ id: 'm1', seq: 1, version: 1, createdAt: stored.createdAt, futureField: null });
    expect(completeSentMessage(messageAck(stored, sent), sent)).toEqual(stored);
  });

  it('thread and mention fields at their defaults stay out of the ack; those of a reply are implied by its send', () => {
    const base: Message = {
      id: 'm2', conversationId: 'c1', seq: 2, senderId: 'ann', type: 'text', content: 'hi', replyToId: null, attachments: [], metadata: null,
      clientMessageId: null, createdAt: '2026-01-01T00:00:00.000Z', editedAt: null, deletedAt: null, deletedForEveryone: false, reactions: [], version: 2,
    };
    const plain: Message = { ...base, threadId: null, alsoToConversation: false, thread: null, mentions: [], mentionEveryone: false };
    expect(Object.keys(messageAck(plain, { conversationId: 'c1', senderId: 'ann', clientMessageId: null, content: 'hi' })).sort()).toEqual(['createdAt', 'id', 'seq', 'version']);
    const reply: Message = { ...plain, threadId: 'root', mentions: ['bob'] };
    const send = { conversationId: 'c1', senderId: 'ann', clientMessageId: null, content: 'hi', threadId: 'root', mentions: ['bob'] };
    expect(Object.keys(messageAck(reply, send)).sort()).toEqual(['createdAt', 'id', 'seq', 'version']);
    expect(completeSentMessage(messageAck(reply, send), send)).toMatchObject({ threadId: 'root', alsoToConversation: false, mentions: ['bob'] });
  });

  it('an acknowledgement of a plain text send carries only what the server decided', () => {
    const stored: Message = {
      id: 'm9', conversationId: 'c1', seq: 7, senderId: 'ann', type: 'text', content: 'hi', replyToId: null, attachments: [], metadata: null,
      clientMessageId: 't1', createdAt: '2026-01-01T00:00:00.000Z', editedAt: null, deletedAt: null, deletedForEveryone: false, reactions: [], version: 9,
    };
    expect(messageAck(stored, { conversationId: 'c1', senderId: 'ann', clientMessageId: 't1', content: 'hi' })).toEqual({ id: 'm9', seq: 7, version: 9, createdAt: stored.createdAt });
    expect(messageAck(stored, { conversationId: 'c1', senderId: 'ann', clientMessageId: 't1', content: 'HI' })).toEqual({ id: 'm9', seq: 7, version: 9, createdAt: stored.createdAt, content: 'hi' });
  });
});
