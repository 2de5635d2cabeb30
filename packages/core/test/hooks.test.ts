import { describe, expect, it } from 'vitest';
import { ChatError, createChatServices, createMemoryStore, createWordFilter, reject, type ChatServicesOptions, type Logger } from '../src/index.js';
import { rejectsWith, sleep } from '../src/testing/index.js';

const logs: string[] = [];
const logger: Logger = { debug() {}, info() {}, warn: (m) => void logs.push(m), error: (m) => void logs.push(m) };
const services = (options: Partial<ChatServicesOptions> = {}) => createChatServices({ store: createMemoryStore(), logger, ...options });

describe('hooks: the host checks or changes what users do, in process', () => {
  it('beforeSend rejects with the code and message the client sees, and stores nothing', async () => {
    const chat = services({ hooks: { beforeSend: ({ draft }) => {
      if (draft.content?.includes('http')) throw reject('No links, please', { field: 'content' });
    } } });
    const { id } = await chat.conversations.createDirectConversation('ann', 'ben');
    const refused = await rejectsWith(chat.messages.sendMessage('ann', { conversationId: id, content: 'see http://x' }), 'FORBIDDEN', 'content');
    expect(refused.message).toBe('No links, please');
    expect((await chat.messages.getConversationMessages(id, 'ann')).messages).toHaveLength(0);
    await chat.messages.sendMessage('ann', { conversationId: id, content: 'fine' });
    await chat.close();
  });

  it('beforeSend rewrites; hooks run in order, each on the previous one\'s result; rewrites are validated again', async () => {
    const seen: string[] = [];
    const chat = services({ hooks: { beforeSend: [
      ({ draft }) => ({ ...draft, content: draft.content?.replace('darn', '****') }),
      ({ draft, role, userId }) => {
        seen.push(`${userId}:${role}:${draft.content}`);
        return { ...draft, metadata: { checked: true } };
      },
    ] } });
    const { id } = await chat.conversations.createDirectConversation('ann', 'ben');
    const message = await chat.messages.sendMessage('ann', { conversationId: id, content: 'oh darn' });
    expect(message.content).toBe('oh ****');
    expect(message.metadata).toEqual({ checked: true });
    expect(seen).toEqual(['ann:member:oh ****']);

    const sneaky = services({ hooks: { beforeSend: ({ draft }) => ({ ...draft, content: 'x'.repeat(20_000) }) } });
    const d = await sneaky.conversations.createDirectConversation('ann', 'ben');
    await rejectsWith(sneaky.messages.sendMessage('ann', { conversationId: d.id, content: 'hi' }), 'VALIDATION_FAILED', 'content');
    await chat.close();
    await sneaky.close();
  });

  it('a hook that throws or runs out of time refuses by default (UNAVAILABLE), or lets it through with onFailure: allow', async () => {
    logs.length = 0;
    const broken = services({ hooks: { beforeSend: () => { throw new Error('bug in the host'); } } });
    const slow = services({ hooks: { timeoutMs: 50, beforeSend: async () => { await sleep(500); } } });
    const lenient = services({ hooks: { timeoutMs: 50, onFailure: 'allow', beforeSend: [async () => { await sleep(500); }, () => { throw new TypeError('oops'); }] } });
    for (const chat of [broken, slow]) {
      const { id } = await chat.conversations.createDirectConversation('ann', 'ben');
      const refused = await rejectsWith(chat.messages.sendMessage('ann', { conversationId: id, content: 'hi' }), 'UNAVAILABLE');
      expect(refused.details).toEqual({ hook: 'beforeSend' });
    }
    const { id } = await lenient.conversations.createDirectConversation('ann', 'ben');
    expect((await lenient.messages.sendMessage('ann', { conversationId: id, content: 'hi' })).content).toBe('hi');
    expect(logs.filter((l) => l === 'beforeSend hook failed')).toHaveLength(4);
    for (const chat of [broken, slow, lenient]) await chat.close();
  });

  it('a resend of a stored message is answered with it even when a hook would now refuse', async () => {
    let strict = false;
    const chat = services({ hooks: { beforeSend: () => { if (strict) throw reject('closed for today'); } } });
    const { id } = await chat.conversations.createDirectConversation('ann', 'ben');
    const first = await chat.messages.sendMessage('ann', { conversationId: id, content: 'hi', clientMessageId: 'c1' });
    strict = true;
    expect((await chat.messages.sendMessage('ann', { conversationId: id, content: 'hi', clientMessageId: 'c1' })).id).toBe(first.id);
    await rejectsWith(chat.messages.sendMessage('ann', { conversationId: id, content: 'hi', clientMessageId: 'c2' }), 'FORBIDDEN');
    await chat.close();
  });

  it('beforeEdit rejects or rewrites an edit; the conversation is there when a hook asks for it', async () => {
    const chat = services({ hooks: { beforeEdit: async ({ content, message, conversation }) => {
      expect((await conversation()).id).toBe(message.conversationId);
      if (content === 'forbidden') throw new ChatError('VALIDATION_FAILED', 'Not that', { field: 'content' });
      return content.toUpperCase();
    } } });
    const { id } = await chat.conversations.createDirectConversation('ann', 'ben');
    const message = await chat.messages.sendMessage('ann', { conversationId: id, content: 'hi' });
    expect((await chat.messages.editMessage(message.id, 'ann', 'hello')).content).toBe('HELLO');
    await rejectsWith(chat.messages.editMessage(message.id, 'ann', 'forbidden'), 'VALIDATION_FAILED', 'content');
    expect((await chat.messages.getMessageById(message.id, 'ann')).content).toBe('HELLO');
    await chat.close();
  });

  it('beforeAddMembers narrows who is added (never widens it) or refuses a direct conversation', async () => {
    const calls: string[] = [];
    const chat = services({ hooks: { beforeAddMembers: ({ action, memberIds }) => {
      calls.push(action);
      return [...memberIds.filter((id) => id !== 'mallory'), 'intruder'];
    } } });
    const group = await chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben', 'mallory'] });
    expect((await chat.conversations.getConversationMembers(group.id, 'ann')).map((m) => m.userId).sort()).toEqual(['ann', 'ben']);
    await chat.conversations.addMembers(group.id, 'ann', ['cat', 'mallory']);
    expect((await chat.conversations.getConversationMembers(group.id, 'ann')).map((m) => m.userId).sort()).toEqual(['ann', 'ben', 'cat']);
    await rejectsWith(chat.conversations.createDirectConversation('ann', 'mallory'), 'FORBIDDEN');
    expect(calls).toEqual(['create_group', 'add_members', 'create_direct']);
    await chat.close();
  });

  it('beforeJoin refuses a room join', async () => {
    const chat = services({ hooks: { beforeJoin: ({ userId }) => { if (userId === 'ben') throw reject('Read-only for you'); } } });
    const { id } = await chat.conversations.createDirectConversation('ann', 'ben');
    expect(await chat.conversations.joinRoom(id, 'ann')).toBe('member');
    await rejectsWith(chat.conversations.joinRoom(id, 'ben'), 'FORBIDDEN');
    await rejectsWith(chat.conversations.joinRoom(id, 'zed'), 'NOT_FOUND', 'conversationId');
    await chat.close();
  });

  it('after events: a listener that throws or rejects is logged and never fails the request', async () => {
    logs.length = 0;
    const chat = services();
    const heard: string[] = [];
    chat.events.on('message_created', () => { throw new Error('host bug'); });
    chat.events.on('message_created', async () => { throw new Error('async host bug'); });
    chat.events.on('message_created', ({ message }) => void heard.push(message.content ?? ''));
    chat.events.once('message_created', ({ message }) => void heard.push(`once:${message.content}`));
    const { id } = await chat.conversations.createDirectConversation('ann', 'ben');
    await chat.messages.sendMessage('ann', { conversationId: id, content: 'one' });
    await chat.messages.sendMessage('ann', { conversationId: id, content: 'two' });
    await sleep(10);
    expect(heard).toEqual(['one', 'once:one', 'two']);
    expect(logs.filter((l) => l === 'a chat event listener failed')).toHaveLength(4);
    await chat.close();
  });

  it('the word filter rejects or masks whole words regardless of case and accents, and patterns', async () => {
    const masking = createWordFilter({ words: ['spam', 'Đồ'], patterns: [/https?:\/\/\S+/], action: 'mask' });
    expect(masking.check('SPAM and Spammer, đồ ngốc, do')).toBe('**** and Spammer, ** ngốc, **');
    expect(masking.check('see https://evil.example/x now')).toBe(`see ${'*'.repeat('https://evil.example/x'.length)} now`);
    expect(masking.check('all clean')).toBeNull();
    const rejecting = createWordFilter({ words: ['spam'], message: 'Watch your language' });
    const chat = services({ hooks: { beforeSend: rejecting.beforeSend, beforeEdit: rejecting.beforeEdit } });
    const { id } = await chat.conversations.createDirectConversation('ann', 'ben');
    const refused = await rejectsWith(chat.messages.sendMessage('ann', { conversationId: id, content: 'buy SPAM' }), 'FORBIDDEN', 'content');
    expect(refused.message).toBe('Watch your language');
    const ok = await chat.messages.sendMessage('ann', { conversationId: id, content: 'hello' });
    await rejectsWith(chat.messages.editMessage(ok.id, 'ann', 'spam!'), 'FORBIDDEN', 'content');
    await chat.close();
  });
});
