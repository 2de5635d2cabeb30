import assert from 'node:assert/strict';
import { collectEvents, rejectsWith, type CaseFn } from '../harness.js';

export function reactionCases(test: CaseFn): void {
  test('react toggles: added, then removed', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const message = await send(a, id);
    const added = await chat.messages.reactToMessage(message.id, b, '👍');
    assert.equal(added.action, 'added');
    assert.deepEqual(added.reactions, [{ emoji: '👍', count: 1, userIds: [b] }]);
    const removed = await chat.messages.reactToMessage(message.id, b, '👍');
    assert.equal(removed.action, 'removed');
    assert.deepEqual(removed.reactions, []);
    assert.deepEqual((await chat.messages.getMessageById(message.id, a)).reactions, []);
  });

  test('reactions are counted per emoji with their users, in the order first added', async ({ chat, users, group, send }) => {
    const [a, b, c] = users(3) as [string, string, string];
    const id = await group(a, [b, c]);
    const message = await send(a, id);
    await chat.messages.reactToMessage(message.id, b, '❤️');
    await chat.messages.reactToMessage(message.id, c, '👍');
    await chat.messages.reactToMessage(message.id, c, '❤️');
    await chat.messages.reactToMessage(message.id, a, '❤️');
    const seen = await chat.messages.getMessageById(message.id, a);
    assert.deepEqual(seen.reactions, [
      { emoji: '❤️', count: 3, userIds: [b, c, a] },
      { emoji: '👍', count: 1, userIds: [c] },
    ]);
    const stats = await chat.messages.getReactionStats(message.id, b);
    assert.equal(stats.total, 4);
    assert.deepEqual(stats.reactions, seen.reactions);
  });

  test('emoji are ordered by their earliest current reaction, whoever added it', async ({ chat, users, group, send }) => {
    const [a, b, c] = users(3) as [string, string, string];
    const id = await group(a, [b, c]);
    const message = await send(a, id);
    await chat.messages.reactToMessage(message.id, a, '🔥');
    await chat.messages.reactToMessage(message.id, b, '👍');
    await chat.messages.reactToMessage(message.id, c, '🔥');
    await chat.messages.reactToMessage(message.id, a, '🔥');
    assert.deepEqual((await chat.messages.getMessageById(message.id, a)).reactions, [
      { emoji: '👍', count: 1, userIds: [b] },
      { emoji: '🔥', count: 1, userIds: [c] },
    ]);
    await chat.messages.reactToMessage(message.id, a, '🔥');
    assert.deepEqual((await chat.messages.getMessageById(message.id, b)).reactions, [
      { emoji: '👍', count: 1, userIds: [b] },
      { emoji: '🔥', count: 2, userIds: [c, a] },
    ]);
  });

  test('the 51st distinct emoji is refused; existing ones still toggle', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const message = await send(a, id);
    for (let i = 0; i < 50; i++) await chat.messages.reactToMessage(message.id, i % 2 === 0 ? a : b, `e${i}`);
    await rejectsWith(chat.messages.reactToMessage(message.id, a, 'e50'), 'CONFLICT', 'emoji');
    assert.equal((await chat.messages.reactToMessage(message.id, a, 'e1')).action, 'added');
    assert.equal((await chat.messages.reactToMessage(message.id, a, 'e0')).action, 'removed');
    assert.equal((await chat.messages.getMessageById(message.id, a)).reactions.length, 49);
    assert.equal((await chat.messages.reactToMessage(message.id, a, 'e50')).action, 'added');
  });

  test('removeReaction removes, and is harmless when there is nothing to remove', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const message = await send(a, id);
    await chat.messages.reactToMessage(message.id, a, '🎉');
    await chat.messages.reactToMessage(message.id, b, '🎉');
    const events = await collectEvents(chat, 'reaction_updated', async () => {
      const result = await chat.messages.removeReaction(message.id, b, '🎉');
      assert.deepEqual(result.reactions, [{ emoji: '🎉', count: 1, userIds: [a] }]);
      await chat.messages.removeReaction(message.id, b, '🎉');
    });
    assert.equal(events.length, 1, 'only a real change is announced');
    assert.equal(events[0]!.action, 'removed');
    assert.equal(events[0]!.userId, b);
  });

  test('emoji are validated; deleted and foreign messages take no reactions', async ({ chat, users, direct, group, send }) => {
    const [a, b, stranger] = users(3) as [string, string, string];
    const id = await direct(a, b);
    const message = await send(a, id);
    await rejectsWith(chat.messages.reactToMessage(message.id, a, ''), 'VALIDATION_FAILED', 'emoji');
    await rejectsWith(chat.messages.reactToMessage(message.id, a, 'x'.repeat(33)), 'VALIDATION_FAILED', 'emoji');
    await rejectsWith(chat.messages.reactToMessage(message.id, stranger, '👍'), 'NOT_FOUND', 'messageId');
    await group(stranger, []);
    await chat.messages.deleteMessage(message.id, a, true);
    await rejectsWith(chat.messages.reactToMessage(message.id, b, '👍'), 'CONFLICT');
  });

  test('reactions move the message version and are announced with the summary', async ({ chat, users, group, send }) => {
    const [a, b, c] = users(3) as [string, string, string];
    const id = await group(a, [b, c]);
    const message = await send(a, id);
    const events = await collectEvents(chat, 'reaction_updated', () => chat.messages.reactToMessage(message.id, b, '🔥', { socketId: 'sock' }));
    assert.equal(events.length, 1);
    const event = events[0]!;
    assert.equal(event.conversationId, id);
    assert.equal(event.action, 'added');
    assert.deepEqual(event.reactions, [{ emoji: '🔥', count: 1, userIds: [b] }]);
    assert.deepEqual([...event.audience].sort(), [a, b, c].sort());
    assert.ok((await chat.messages.getMessageById(message.id, a)).version > message.version);
  });
}
