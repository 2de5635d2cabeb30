import assert from 'node:assert/strict';
import { createMemoryAttachmentStore, type MemoryAttachmentStore } from '../../memory/memory-attachment-store.js';
import { collectEvents, rejectsWith, type CaseFn, type Harness, type HarnessSetup, type RaceCase } from '../harness.js';
import { SAMPLE_FILES, uploadFile } from './attachments.js';

const HOUR = 3_600_000;

/** A case with a memory AttachmentStore on the case's clock, and the given retention options. */
function withFiles(test: CaseFn, setup: HarnessSetup = {}) {
  return (name: string, fn: (h: Harness, files: MemoryAttachmentStore) => Promise<void>) => {
    let clock: Harness['clock'] | null = null;
    const files = createMemoryAttachmentStore({ now: () => clock?.ms ?? Date.now() });
    test(
      name,
      async (h) => {
        clock = h.clock;
        await fn(h, files);
      },
      { attachments: { storage: files, unusedTtlMs: 48 * HOUR, purgeIntervalMs: 3_600_000 }, ...setup },
    );
  };
}

export function retentionCases(test: CaseFn): void {
  withFiles(test)(
    'retention removes exactly the messages older than the TTL, with their reactions, search and hidden rows and files',
    async ({ chat, store, users, group, send, clock, inspect }, files) => {
      const [a, b] = users(2) as [string, string];
      const id = await group(a, [b]);
      const untouched = await group(a, [b], 'Kept');
      await chat.retention.setConversationRetention(id, 3600);
      const photo = await uploadFile(chat, files, a, id, SAMPLE_FILES.png);
      const withPhoto = await chat.messages.sendMessage(a, { conversationId: id, type: 'image', attachmentIds: [photo] });
      const old = await send(a, id, 'ancient walrus');
      await chat.messages.reactToMessage(old.id, b, '👍');
      await chat.messages.deleteMessage(old.id, b, false);
      await send(b, untouched, 'ancient walrus elsewhere');
      clock.advance(2 * HOUR);
      const fresh1 = await send(b, id, 'fresh walrus');
      const fresh2 = await send(a, id, 'another');
      const keysBefore = files.keys().length;
      assert.equal(keysBefore, 1);

      const events = await collectEvents(chat, 'conversation_updated', async () => {
        const run = await chat.retention.runOnce();
        assert.equal(run.ran, true);
        // The group's "created" system message, the photo, the old text.
        assert.deepEqual(run.conversations, [{ conversationId: id, removed: 3, truncatedBefore: fresh1.seq }]);
      });
      const truncated = events.filter((e) => e.updateType === 'history_truncated');
      assert.equal(truncated.length, 1);
      assert.deepEqual(truncated[0]!.data, { truncatedBefore: fresh1.seq, removed: 3 });
      assert.deepEqual([...truncated[0]!.audience].sort(), [a, b].sort());

      for (const viewer of [a, b]) {
        const page = await chat.messages.getConversationMessages(id, viewer);
        assert.deepEqual(page.messages.map((m) => m.id), [fresh1.id, fresh2.id]);
        assert.equal(page.hasMoreBefore, false);
      }
      await rejectsWith(chat.messages.getMessageById(old.id, a), 'NOT_FOUND');
      if (inspect !== undefined) {
        // What the database holds, read around the adapter.
        assert.deepEqual((await inspect.messageRows(id)).map((r) => r.seq), [fresh1.seq, fresh2.seq]);
        assert.equal(await inspect.reactionCount(old.id), 0);
      }
      assert.equal(await store.getMessage(withPhoto.id), null);
      assert.deepEqual(await store.listUserReactions(b, null, 10), []);
      const hits = await chat.messages.searchMessages(a, 'walrus');
      assert.deepEqual(hits.items.map((hit) => hit.message.content).sort(), ['ancient walrus elsewhere', 'fresh walrus']);
      // The untouched conversation keeps everything.
      assert.equal((await chat.messages.getConversationMessages(untouched, a)).messages.length, 2);
      const conversation = await chat.conversations.getConversationById(id, a);
      assert.equal(conversation.lastMessage?.id, fresh2.id);
      assert.equal(conversation.retentionSeconds, 3600);

      // Catch-up from before the cut says where history now starts.
      const behind = await chat.messages.getChangesSince(id, b, { seq: 1, version: 1 });
      assert.equal(behind.truncatedBefore, fresh1.seq);
      assert.deepEqual(behind.messages.map((m) => m.id), [fresh1.id, fresh2.id]);
      assert.deepEqual(behind.changes, []);
      const kept = await chat.messages.getChangesSince(untouched, b, 0);
      assert.equal(kept.truncatedBefore, 1);

      // The photo's bytes go with the attachment purge, then its row.
      await chat.attachmentPurge!.runOnce();
      assert.equal(files.keys().length, 0);
      assert.equal(await store.getAttachment(photo), null);

      // Nothing more is due: a second pass removes nothing.
      const again = await chat.retention.runOnce();
      assert.equal(again.removed, 0);
    },
  );

  test('after a purge, seq goes on, unread counts and read positions count what is left', async ({ chat, users, group, send, clock }) => {
    const [a, b] = users(2) as [string, string];
    const id = await group(a, [b]);
    await chat.retention.setConversationRetention(id, 60);
    await send(a, id, 'one');
    await send(a, id, 'two');
    clock.advance(2 * 60_000);
    const three = await send(a, id, 'three');
    assert.equal((await chat.retention.runOnce()).removed, 3);
    const four = await send(a, id, 'four');
    assert.equal(four.seq, three.seq + 1);
    const list = await chat.conversations.getUserConversations(b, {});
    const row = list.items.find((c) => c.id === id)!;
    assert.equal(row.unreadCount, 2);
    assert.equal(row.firstUnreadSeq, three.seq);
    const read = await chat.messages.markAsRead(id, b, three.id);
    assert.equal(read.markedCount, 1);
    const after = (await chat.conversations.getUserConversations(b, {})).items.find((c) => c.id === id)!;
    assert.equal(after.unreadCount, 1);
    const around = await chat.messages.getConversationMessages(id, b, { around: 1 });
    assert.deepEqual(around.messages.map((m) => m.seq), [three.seq, four.seq]);
  });

  test('when every message expired, lastMessage is null and the conversation stays', async ({ chat, users, direct, send, clock }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    await chat.retention.setConversationRetention(id, 60);
    const only = await send(a, id, 'gone soon');
    clock.advance(61_000);
    assert.equal((await chat.retention.runOnce()).removed, 1);
    const conversation = await chat.conversations.getConversationById(id, b);
    assert.equal(conversation.lastMessage, null);
    assert.equal(conversation.lastSeq, only.seq);
    assert.deepEqual((await chat.messages.getConversationMessages(id, b)).messages, []);
    assert.equal((await chat.messages.getChangesSince(id, b, 0)).truncatedBefore, only.seq + 1);
  });

  test(
    'the global retention applies where a conversation has none of its own; its own wins',
    async ({ chat, users, group, send, clock }) => {
      const [a, b] = users(2) as [string, string];
      const byDefault = await group(a, [b], 'Default');
      const longer = await group(a, [b], 'Longer');
      await chat.retention.setConversationRetention(longer, 3 * 3600);
      await send(a, byDefault, 'x');
      await send(a, longer, 'y');
      clock.advance(2 * HOUR);
      const run = await chat.retention.runOnce();
      assert.deepEqual(run.conversations.map((c) => c.conversationId), [byDefault]);
      assert.equal((await chat.messages.getConversationMessages(longer, a)).messages.length, 2);
      await chat.retention.setConversationRetention(longer, null);
      assert.deepEqual((await chat.retention.runOnce()).conversations.map((c) => c.conversationId), [longer]);
    },
    { retention: { defaultSeconds: 3600 } },
  );

  test(
    'a large purge goes in batches of batchSize, one transaction each',
    async ({ chat, users, direct, send, clock }) => {
      const [a, b] = users(2) as [string, string];
      const id = await direct(a, b);
      for (let i = 0; i < 10; i++) await send(i % 2 ? a : b, id, `m${i}`);
      clock.advance(2 * HOUR);
      const kept = await send(a, id, 'kept');
      const run = await chat.retention.runOnce();
      assert.equal(run.removed, 10);
      assert.deepEqual(run.conversations.map((c) => c.removed), [3, 3, 3, 1]);
      assert.deepEqual((await chat.messages.getConversationMessages(id, a)).messages.map((m) => m.id), [kept.id]);
    },
    { retention: { defaultSeconds: 3600, batchSize: 3 } },
  );

  test('a conversation retention: host only, 60 s to 100 years or null, on a conversation that exists', async ({ chat, users, group }) => {
    const [a] = users(1) as [string];
    const id = await group(a, []);
    await rejectsWith(chat.retention.setConversationRetention(id, 59), 'VALIDATION_FAILED', 'retentionSeconds');
    await rejectsWith(chat.retention.setConversationRetention(id, 1.5), 'VALIDATION_FAILED', 'retentionSeconds');
    await rejectsWith(chat.retention.setConversationRetention('missing', 3600), 'NOT_FOUND', 'conversationId');
    const events = await collectEvents(chat, 'conversation_updated', () => chat.retention.setConversationRetention(id, 86_400));
    assert.deepEqual(events.map((e) => [e.updateType, e.data]), [['retention_changed', { retentionSeconds: 86_400 }]]);
    assert.equal((await chat.conversations.getConversationById(id, a)).retentionSeconds, 86_400);
    assert.equal((await chat.retention.setConversationRetention(id, null)).retentionSeconds, null);
  });

  test('the job lease: one holder at a time, renewable, taken over once it ran out, released', async ({ chat, clock }) => {
    // Through the services' store, which waits for the store's start (migrations).
    const store = chat.store;
    const now = clock.iso();
    const job = `job-${clock.ms}`;
    assert.equal(await store.acquireJobLease(job, 'one', now, 60_000), true);
    assert.equal(await store.acquireJobLease(job, 'two', now, 60_000), false);
    assert.equal(await store.acquireJobLease(job, 'one', clock.iso(30_000), 60_000), true, 'the holder renews');
    assert.equal(await store.acquireJobLease(job, 'two', clock.iso(61_000), 60_000), false, 'the renewal moved the end');
    assert.equal(await store.acquireJobLease(job, 'two', clock.iso(91_000), 60_000), true, 'taken over after it ran out');
    await store.releaseJobLease(job, 'one');
    assert.equal(await store.acquireJobLease(job, 'one', clock.iso(92_000), 60_000), false, 'a non-holder cannot release it');
    await store.releaseJobLease(job, 'two');
    assert.equal(await store.acquireJobLease(job, 'one', clock.iso(93_000), 60_000), true);
  });

  test('while another node holds the lease, a pass does nothing', async ({ chat, store, users, direct, send, clock }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    await chat.retention.setConversationRetention(id, 60);
    await send(a, id, 'x');
    clock.advance(2 * 60_000);
    assert.equal(await store.acquireJobLease('retention', 'another-node', clock.iso(), 60_000), true);
    assert.deepEqual(await chat.retention.runOnce(), { ran: false, removed: 0, conversations: [] });
    assert.equal((await chat.messages.getConversationMessages(id, a)).messages.length, 1);
    clock.advance(61_000);
    assert.equal((await chat.retention.runOnce()).removed, 1);
  });
}

/** Two retention runners on one database: every expired message goes exactly once. */
export const retentionRaceCases: RaceCase[] = [
  {
    name: 'two retention runners at once, with and without the lease: each expired message is removed once',
    instances: 2,
    async run({ stores, nodes, clock, users }) {
      const [a, b] = users(2) as [string, string];
      const ids: string[] = [];
      for (let c = 0; c < 3; c++) {
        const id = (await nodes[0]!.conversations.createGroupConversation(a, { name: `g${c}`, memberIds: [b] })).id;
        await nodes[0]!.retention.setConversationRetention(id, 60);
        for (let i = 0; i < 8; i++) await nodes[i % 2]!.messages.sendMessage(i % 2 ? a : b, { conversationId: id, content: `m${i}` });
        ids.push(id);
      }
      clock.advance(2 * 60_000);
      const kept = await nodes[1]!.messages.sendMessage(a, { conversationId: ids[0]!, content: 'kept' });
      // Straight at the stores, no lease: small batches racing each other.
      const drain = async (index: number) => {
        let removed = 0;
        for (;;) {
          const pass = await stores[index]!.purgeExpiredMessages({ now: clock.iso(), defaultSeconds: null, limit: 4 });
          const n = pass.reduce((sum, p) => sum + p.removed, 0);
          removed += n;
          if (n === 0) return removed;
        }
      };
      const half = await Promise.all([drain(0), drain(1)]);
      // 3 conversations × (1 system message + 8) expired.
      assert.equal(half[0] + half[1], 27);
      for (const id of ids) {
        const page = await nodes[0]!.messages.getConversationMessages(id, a);
        assert.deepEqual(page.messages.map((m) => m.id), id === ids[0] ? [kept.id] : []);
      }
      // Through the services, both nodes at once: the lease lets one work, nothing is left for either.
      clock.advance(2 * 60_000);
      const runs = await Promise.all(nodes.map((node) => node.retention.runOnce()));
      assert.equal(runs[0]!.removed + runs[1]!.removed, 1);
      assert.ok(runs.some((r) => r.ran));
      assert.deepEqual((await nodes[1]!.messages.getConversationMessages(ids[0]!, b)).messages, []);
    },
  },
];
