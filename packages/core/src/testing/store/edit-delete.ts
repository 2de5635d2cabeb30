import assert from 'node:assert/strict';
import { collectEvents, rejectsWith, type CaseFn } from '../harness.js';

export function editDeleteCases(test: CaseFn): void {
  test('the author edits: content, editedAt and version change', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const original = await send(a, id, 'draft');
    const events = await collectEvents(chat, 'message_edited', async () => {
      const edited = await chat.messages.editMessage(original.id, a, 'final');
      assert.equal(edited.content, 'final');
      assert.ok(edited.editedAt !== null);
      assert.ok(edited.version > original.version);
      assert.equal(edited.seq, original.seq);
    });
    assert.equal(events.length, 1);
    assert.equal((await chat.messages.getMessageById(original.id, b)).content, 'final');
  });

  test('only the author edits, with valid content', async ({ chat, users, group, send }) => {
    const [owner, b] = users(2) as [string, string];
    const id = await group(owner, [b]);
    const message = await send(b, id, 'mine');
    await rejectsWith(chat.messages.editMessage(message.id, owner, 'not yours'), 'FORBIDDEN');
    await rejectsWith(chat.messages.editMessage(message.id, b, ''), 'VALIDATION_FAILED', 'content');
    await rejectsWith(chat.messages.editMessage(message.id, b, 'x'.repeat(10_001)), 'VALIDATION_FAILED', 'content');
    await rejectsWith(chat.messages.editMessage('missing', b, 'x'), 'NOT_FOUND', 'messageId');
    const system = (await chat.messages.getConversationMessages(id, owner)).messages[0]!;
    await rejectsWith(chat.messages.editMessage(system.id, owner, 'rewrite history'), 'FORBIDDEN');
    assert.equal((await chat.messages.getMessageById(message.id, b)).content, 'mine');
  });

  test('a deleted message cannot be edited', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const message = await send(a, id, 'oops');
    await chat.messages.deleteMessage(message.id, a, true);
    await rejectsWith(chat.messages.editMessage(message.id, a, 'resurrect'), 'CONFLICT');
    assert.equal((await chat.messages.getMessageById(message.id, a)).content, null);
  });

  test('delete for everyone clears the message for every member and keeps the row', async ({ chat, users, group, send, inspect }) => {
    const [a, b, c] = users(3) as [string, string, string];
    const id = await group(a, [b, c]);
    const message = await send(b, id, 'secret', {
      type: 'file',
      attachments: [{ url: 'https://x.example/a.pdf', name: 'a.pdf', mimeType: 'application/pdf', size: 10 }],
    });
    await chat.messages.reactToMessage(message.id, c, '😮');
    const events = await collectEvents(chat, 'message_deleted', () => chat.messages.deleteMessage(message.id, b, true));
    assert.equal(events.length, 1);
    assert.equal(events[0]!.forEveryone, true);
    assert.equal(events[0]!.deletedBy, b);
    assert.deepEqual([...events[0]!.audience].sort(), [a, b, c].sort());
    for (const viewer of [a, b, c]) {
      const seen = await chat.messages.getMessageById(message.id, viewer);
      assert.equal(seen.deletedForEveryone, true);
      assert.equal(seen.content, null);
      assert.deepEqual(seen.attachments, []);
      assert.deepEqual(seen.reactions, []);
      assert.ok(seen.deletedAt !== null);
      const page = await chat.messages.getConversationMessages(id, viewer);
      assert.equal(page.messages.find((m) => m.id === message.id)?.content, null);
    }
    if (inspect !== undefined) {
      const row = await inspect.messageRow(message.id);
      assert.ok(row !== null, 'the row stays');
      assert.equal(row.content, null, 'the content is gone from the database, not only hidden');
      assert.equal(row.attachmentCount, 0);
      assert.equal(row.deletedForEveryone, true);
      assert.equal(await inspect.reactionCount(message.id), 0);
    }
  });

  test('who may delete for everyone', async ({ chat, users, group, direct, send }) => {
    const [owner, admin, member, other] = users(4) as [string, string, string, string];
    const id = await group(owner, [admin, member, other]);
    await chat.conversations.updateMemberRole(id, owner, admin, 'admin');
    const m1 = await send(other, id, 'one');
    const m2 = await send(other, id, 'two');
    const m3 = await send(other, id, 'three');
    await rejectsWith(chat.messages.deleteMessage(m1.id, member, true), 'FORBIDDEN');
    await chat.messages.deleteMessage(m1.id, admin, true);
    await chat.messages.deleteMessage(m2.id, owner, true);
    await chat.messages.deleteMessage(m3.id, other, true);
    const dm = await direct(owner, member);
    const theirs = await send(member, dm, 'dm');
    await rejectsWith(chat.messages.deleteMessage(theirs.id, owner, true), 'FORBIDDEN');
    await rejectsWith(chat.messages.deleteMessage(theirs.id, owner, 'yes' as unknown as boolean), 'VALIDATION_FAILED', 'forEveryone');
  });

  test('delete for me hides the message from me only', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const message = await send(b, id, 'hide me');
    const events = await collectEvents(chat, 'message_deleted', () => chat.messages.deleteMessage(message.id, a, false));
    assert.deepEqual(events.map((e) => [e.forEveryone, e.audience]), [[false, [a]]]);
    await rejectsWith(chat.messages.getMessageById(message.id, a), 'NOT_FOUND');
    assert.equal((await chat.messages.getMessageById(message.id, b)).content, 'hide me');
    assert.equal((await chat.messages.getConversationMessages(id, a)).messages.length, 0);
    assert.equal((await chat.messages.getConversationMessages(id, b)).messages.length, 1);
    await rejectsWith(chat.messages.deleteMessage(message.id, a, false), 'NOT_FOUND');
  });

  test('deleting for everyone twice is harmless and announced once', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const message = await send(a, id, 'x');
    const events = await collectEvents(chat, 'message_deleted', async () => {
      await chat.messages.deleteMessage(message.id, a, true);
      await chat.messages.deleteMessage(message.id, a, true);
    });
    assert.equal(events.length, 1);
  });
}
