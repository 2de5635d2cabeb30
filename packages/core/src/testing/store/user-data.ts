import assert from 'node:assert/strict';
import type { UserExportLine } from '../../services/user-data-service.js';
import type { ChatServices } from '../../create-chat-services.js';
import { createMemoryAttachmentStore, type MemoryAttachmentStore } from '../../memory/memory-attachment-store.js';
import type { Notification } from '../../services/notification-dispatcher.js';
import { collectEvents, rejectsWith, type CaseFn, type Harness } from '../harness.js';
import { SAMPLE_FILES, uploadFile } from './attachments.js';

/** The whole export, parsed line by line. */
export async function readExport(chat: ChatServices, userId: string): Promise<UserExportLine[]> {
  const lines: UserExportLine[] = [];
  for await (const line of chat.userData.exportUserData(userId)) {
    assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), 'one JSON value per line');
    lines.push(JSON.parse(line) as UserExportLine);
  }
  return lines;
}

function withFiles(test: CaseFn) {
  return (name: string, fn: (h: Harness, files: MemoryAttachmentStore) => Promise<void>) => {
    let clock: Harness['clock'] | null = null;
    const files = createMemoryAttachmentStore({ now: () => clock?.ms ?? Date.now() });
    test(
      name,
      async (h) => {
        clock = h.clock;
        await fn(h, files);
      },
      // A notifier, so sends write outbox rows; it always fails, so they stay pending.
      {
        attachments: { storage: files, unusedTtlMs: 3_600_000, purgeIntervalMs: 3_600_000 },
        notifier: async (_n: Notification) => {
          throw new Error('push service offline');
        },
        notificationRetry: { pollIntervalMs: 3_600_000, baseDelayMs: 3_600_000, maxDelayMs: 7_200_000, maxAttempts: 1_000 },
      },
    );
  };
}

export function userDataCases(test: CaseFn): void {
  test('the export holds every membership, read position, message and reaction of the user, and nobody else’s', async ({ chat, users, group, direct, send }) => {
    const [a, b, c] = users(3) as [string, string, string];
    const g = await group(b, [a, c]);
    const d = await direct(a, b);
    const first = await send(a, g, 'hello group');
    const gone = await send(a, d, 'regret');
    await chat.messages.deleteMessage(gone.id, a, true);
    const theirs = await send(b, g, 'from b');
    await send(c, g, 'from c');
    await chat.messages.reactToMessage(theirs.id, a, '👍');
    await chat.messages.reactToMessage(theirs.id, a, '🎉');
    await chat.messages.reactToMessage(first.id, b, '❤️');
    await chat.messages.markAsRead(g, a);

    const lines = await readExport(chat, a);
    assert.equal(lines[0]!.type, 'export');
    assert.deepEqual(lines[lines.length - 1], { type: 'end', counts: { memberships: 2, messages: 2, reactions: 2 } });
    const of = <T extends UserExportLine['type']>(type: T) => lines.filter((l): l is Extract<UserExportLine, { type: T }> => l.type === type);
    assert.deepEqual(of('membership').map((m) => m.conversationId).sort(), [g, d].sort());
    const read = of('read_position').find((r) => r.conversationId === g)!;
    assert.equal(read.lastReadSeq, (await chat.conversations.getConversationById(g, a)).lastSeq);
    const messages = of('message').map((m) => m.message);
    assert.deepEqual(messages.map((m) => m.id), [first.id, gone.id]);
    assert.equal(messages[1]!.deletedForEveryone, true);
    assert.ok(messages.every((m) => m.senderId === a && !('reactions' in m)), 'own messages only, without others’ reactions');
    assert.deepEqual(of('reaction').map((r) => [r.reaction.messageId, r.reaction.conversationId, r.reaction.emoji]).sort(), [
      [theirs.id, g, '🎉'],
      [theirs.id, g, '👍'],
    ]);
    assert.ok(of('reaction').every((r) => typeof r.reaction.createdAt === 'string'));
    await rejectsWith(readExport(chat, ''), 'VALIDATION_FAILED', 'userId');
  });

  test('export pages: messages by (createdAt, id) and reactions by (messageId, emoji), each once', async ({ chat, store, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await send(a, id, `m${i}`));
    for (const emoji of ['a', 'b', 'c']) await chat.messages.reactToMessage(sent[0]!.id, a, emoji);
    const seen: string[] = [];
    let after: { createdAt: string; id: string } | null = null;
    for (;;) {
      const page = await store.listUserMessages(a, after, 2);
      seen.push(...page.map((m) => m.id));
      if (page.length < 2) break;
      after = { createdAt: page[1]!.createdAt, id: page[1]!.id };
    }
    assert.deepEqual(seen, sent.map((m) => m.id));
    const first = await store.listUserReactions(a, null, 2);
    assert.deepEqual(first.map((r) => r.emoji), ['a', 'b']);
    const rest = await store.listUserReactions(a, { messageId: first[1]!.messageId, emoji: first[1]!.emoji }, 2);
    assert.deepEqual(rest.map((r) => r.emoji), ['c']);
    assert.deepEqual(await store.listUserMessages(b, null, 10), []);
  });

  withFiles(test)(
    'erase: tombstones for everyone, reactions, read positions, search and outbox rows and files gone; others untouched',
    async ({ chat, store, users, group, send, inspect }, files) => {
      const [a, b, c] = users(3) as [string, string, string];
      const g = await group(b, [a, c]);
      const photo = await uploadFile(chat, files, a, g, SAMPLE_FILES.png);
      const unsent = await uploadFile(chat, files, a, g, SAMPLE_FILES.pdf, 'draft.pdf', 'application/pdf');
      const withPhoto = await chat.messages.sendMessage(a, { conversationId: g, type: 'image', content: 'zebra photo', attachmentIds: [photo] });
      const text = await send(a, g, 'zebra secrets');
      const theirs = await send(b, g, 'zebra from b');
      await chat.messages.reactToMessage(theirs.id, a, '👍');
      await chat.messages.reactToMessage(text.id, c, '😮');
      await chat.messages.markAsRead(g, a);
      assert.equal(files.keys().length, 2);
      const queued = (await store.outboxStats()).pending;
      assert.ok(queued >= 3);

      const deleted = await collectEvents(chat, 'message_deleted', async () => {
        const reactions = await collectEvents(chat, 'reaction_updated', async () => {
          const result = await chat.userData.eraseUserData(a);
          assert.equal(result.tombstoned, 2);
          assert.equal(result.reactionsRemoved, 1);
        });
        assert.deepEqual(reactions.map((r) => [r.messageId, r.emoji, r.action, r.userId]), [[theirs.id, '👍', 'removed', a]]);
      });
      assert.deepEqual(deleted.map((e) => e.messageId).sort(), [withPhoto.id, text.id].sort());
      assert.ok(deleted.every((e) => e.forEveryone && e.audience.includes(c)));

      for (const id of [withPhoto.id, text.id]) {
        const seen = await chat.messages.getMessageById(id, c);
        assert.equal(seen.deletedForEveryone, true);
        assert.equal(seen.content, null);
        assert.deepEqual(seen.attachments, []);
        assert.deepEqual(seen.reactions, []);
        assert.equal(seen.senderId, a);
      }
      if (inspect !== undefined) {
        // What the database holds, read around the adapter.
        assert.deepEqual(await inspect.messageRow(text.id).then((r) => [r?.content, r?.attachmentCount, r?.deletedForEveryone]), [null, 0, true]);
        assert.equal(await inspect.reactionCount(theirs.id), 0);
        assert.equal((await inspect.memberRow(g, a))?.lastReadSeq, 0);
      }
      assert.deepEqual((await chat.messages.getMessageById(theirs.id, c)).reactions, []);
      assert.equal((await chat.messages.getMessageById(theirs.id, c)).content, 'zebra from b');
      assert.deepEqual((await chat.messages.searchMessages(c, 'zebra')).items.map((h) => h.message.id), [theirs.id]);
      assert.deepEqual(await store.listUserReactions(a, null, 10), []);
      const member = await store.getMember(g, a);
      assert.equal(member?.lastReadSeq, 0);
      assert.equal(member?.lastReadAt, null);
      // The outbox rows of a's two messages are gone; b's stays.
      assert.equal((await store.outboxStats()).pending, queued - 2);
      // Both files, sent and never sent, go with the purge (the erase started it).
      await chat.attachmentPurge!.idle();
      await chat.attachmentPurge!.runOnce();
      assert.equal(files.keys().length, 0);
      assert.equal(await store.getAttachment(photo), null);
      assert.equal(await store.getAttachment(unsent), null);
      // The others' catch-up carries the tombstones, and b's message without a's reaction.
      const changes = await chat.messages.getChangesSince(g, c, { seq: theirs.seq, version: theirs.version + 2 });
      assert.deepEqual(changes.changes.map((m) => m.id).sort(), [withPhoto.id, text.id, theirs.id].sort());

      // Erase is idempotent: again, nothing changes and nothing is announced.
      const again = await collectEvents(chat, 'message_deleted', async () => {
        assert.deepEqual(await chat.userData.eraseUserData(a), { userId: a, tombstoned: 0, reactionsRemoved: 0, passes: 1 });
      });
      assert.deepEqual(again, []);
      const exported = await readExport(chat, a);
      assert.ok(exported.filter((l) => l.type === 'message').every((l) => l.type === 'message' && l.message.content === null));
    },
  );

  test('erase after a crash midway: the next call finishes the rest, in passes of batchSize', async ({ chat, store, users, direct, group, send, clock }) => {
    const [a, b] = users(2) as [string, string];
    const d = await direct(a, b);
    const g = await group(b, [a]);
    const mine = [];
    for (let i = 0; i < 5; i++) mine.push(await send(a, i % 2 ? d : g, `m${i}`));
    const theirs = await send(b, g, 'theirs');
    for (const emoji of ['1', '2', '3']) await chat.messages.reactToMessage(theirs.id, a, emoji);
    // One committed pass of 2, then the process "dies".
    const pass = await store.eraseUserData(a, clock.iso(), 2);
    assert.equal(pass.tombstoned.length, 2);
    assert.equal(pass.done, false);
    const result = await chat.userData.eraseUserData(a, { batchSize: 2 });
    assert.equal(result.tombstoned, 3);
    assert.equal(result.reactionsRemoved, 1, 'the first pass took two of the three');
    assert.ok(result.passes >= 2);
    for (const m of mine) assert.equal((await chat.messages.getMessageById(m.id, b)).deletedForEveryone, true);
    assert.deepEqual((await chat.messages.getMessageById(theirs.id, b)).reactions, []);
    assert.equal((await chat.messages.getMessageById(theirs.id, b)).deletedForEveryone, false);
    await rejectsWith(chat.userData.eraseUserData(''), 'VALIDATION_FAILED', 'userId');
    await rejectsWith(chat.userData.eraseUserData(42 as unknown as string), 'VALIDATION_FAILED', 'userId');
  });

  test(
    'erase writes a message.deleted webhook for each tombstone, in its transaction, and none on a rerun',
    async ({ chat, store, users, group, send }) => {
      const [a, b] = users(2) as [string, string];
      const g = await group(b, [a]);
      const mine = [await send(a, g, 'one'), await send(a, g, 'two')];
      await chat.userData.eraseUserData(a, { batchSize: 1 });
      await chat.userData.eraseUserData(a);
      const deleted = (await store.listWebhookDeliveries({ limit: 100 }))
        .map((d) => JSON.parse(d.body) as { type: string; data: { messageId: string; deletedBy: string; senderId: string } })
        .filter((e) => e.type === 'message.deleted');
      assert.deepEqual(deleted.map((e) => e.data.messageId).sort(), mine.map((m) => m.id).sort());
      assert.ok(deleted.every((e) => e.data.deletedBy === a && e.data.senderId === a));
    },
    { webhooks: { deliver: false, endpoints: [{ id: 'all', url: 'http://127.0.0.1:9/all', secret: 'secret-all' }] } },
  );
}
