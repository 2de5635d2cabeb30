import { createChatServices, createMemoryStore, type ChatStore } from '@parley/core';
import { sleep } from '@parley/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, type Node } from './setup.js';

/** A memory store whose message lookups take `delayMs`: a reply's lookup is then slow. */
function slowLookups(delayMs: number): ChatStore {
  const inner = createMemoryStore();
  return {
    ...inner,
    async getMessage(id, viewer) {
      await sleep(delayMs);
      return inner.getMessage(id, viewer);
    },
  };
}

let node: Node | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

describe('frames of one connection are handled in arrival order (SPEC §7)', () => {
  it('a reply that needs a lookup, then plain sends: stored and answered in frame order', async () => {
    const chat = createChatServices({ store: slowLookups(40), limits: { messageRate: { limit: 1000, windowMs: 1000 } } });
    node = await startNode({ chat });
    const id = (await chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    const ann = await node.connect('ann');
    const original = (await ann.request('send_message', { conversationId: id, content: 'question?' })).data.message;
    // Fired without waiting: the first one looks its reply target up (slowly), the rest do not.
    const replies = [
      ann.request('send_message', { conversationId: id, content: 'reply', replyToId: original.id }),
      ...Array.from({ length: 5 }, (_, i) => ann.request('send_message', { conversationId: id, content: `plain ${i}` })),
    ];
    const answered = await Promise.all(replies);
    expect(answered.map((f) => f.type)).toEqual(Array(6).fill('message_sent'));
    const seqs = answered.map((f) => f.data.message.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const stored = new Map((await chat.messages.getConversationMessages(id, 'ann')).messages.map((m) => [m.seq, m.content]));
    expect(seqs.map((seq) => stored.get(seq))).toEqual(['reply', 'plain 0', 'plain 1', 'plain 2', 'plain 3', 'plain 4']);
    // Replies leave in frame order too.
    const order = ann.frames.filter((f) => f.type === 'message_sent').map((f) => f.data.message.seq as number).slice(1);
    expect(order).toEqual(seqs);
  });

  it('a frame waits for the frames before it: a read after a send sees the send', async () => {
    node = await startNode();
    const id = (await node.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    const ann = await node.connect('ann');
    const ben = await node.connect('ben');
    const sent = ann.request('send_message', { conversationId: id, content: 'hello' });
    const read = ben.request('mark_as_read', { conversationId: id });
    await sent;
    await read;
    // Ben's frames: a send then a sync on one connection, fired together.
    const benSend = ben.request('send_message', { conversationId: id, content: 'from ben' });
    const benSync = ben.request('sync', { since: { [id]: 0 } });
    const [s, y] = await Promise.all([benSend, benSync]);
    expect(y.data.conversations[id].messages.map((m: { id: string }) => m.id)).toContain(s.data.message.id);
  });

  it('another connection is not held up by a slow frame', async () => {
    const chat = createChatServices({ store: slowLookups(300), limits: { messageRate: { limit: 1000, windowMs: 1000 } } });
    node = await startNode({ chat });
    const id = (await chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    const ann = await node.connect('ann');
    const ben = await node.connect('ben');
    const first = (await ann.request('send_message', { conversationId: id, content: 'first' })).data.message;
    const slow = ann.request('send_message', { conversationId: id, content: 'slow reply', replyToId: first.id });
    const fast = ben.request('send_message', { conversationId: id, content: 'fast' });
    expect(await Promise.race([slow.then(() => 'slow'), fast.then(() => 'fast')])).toBe('fast');
    expect((await slow).data.message.seq).toBeGreaterThan((await fast).data.message.seq);
  });
});
