import assert from 'node:assert/strict';
import type { NewMessage } from '../../adapters/chat-store.js';
import { DEFAULT_CAPABILITIES } from '../../domain/capabilities.js';
import { ChatError } from '../../domain/errors.js';
import { newId } from '../../util/ids.js';
import type { CaseFn, Harness, RaceCase } from '../harness.js';
import { rejectsWith } from '../harness.js';

/**
 * The moderation kit (issue 13): bans, muted members, slow mode, blocks, reports and the
 * audit log, through the services over the store under test. The rules that span a read and
 * a write (a banned user re-added, a muted member's send, two moderators resolving one
 * report) are decided inside the store's atomic operations, so the race cases at the end
 * run them from several instances on one database.
 */

/** A group of owner, admin and two members. */
async function moderatedGroup(h: Harness): Promise<{ id: string; owner: string; admin: string; alice: string; bob: string }> {
  const [owner, admin, alice, bob] = h.users(4) as [string, string, string, string];
  const id = await h.group(owner, [admin, alice, bob]);
  await h.chat.conversations.updateMemberRole(id, owner, admin, 'admin');
  return { id, owner, admin, alice, bob };
}

const memberIds = async (h: Harness, id: string, asUser: string) =>
  (await h.chat.conversations.getConversationMembers(id, asUser)).map((m) => m.userId).sort();

export function moderationCases(test: CaseFn): void {
  test('a ban removes the member, announces it, and refuses every later add until lifted', async (h) => {
    const { id, owner, admin, bob } = await moderatedGroup(h);
    const ban = await h.chat.moderation.ban(id, admin, { userId: bob, reason: 'spam' });
    assert.equal(ban.userId, bob);
    assert.equal(ban.bannedBy, admin);
    assert.equal(ban.reason, 'spam');
    assert.equal(ban.expiresAt, null);
    assert.ok(!(await memberIds(h, id, owner)).includes(bob), 'the banned user is no longer a member');
    const last = (await h.chat.messages.getConversationMessages(id, owner, { limit: 1 })).messages.at(-1)!;
    assert.equal(last.type, 'system');
    assert.equal((last.metadata as { event?: string } | null)?.event, 'member_banned');

    const refused = await rejectsWith(h.chat.conversations.addMembers(id, owner, [bob]), 'FORBIDDEN', 'memberIds');
    assert.deepEqual(refused.details?.userIds, [bob]);
    assert.deepEqual((await h.chat.moderation.listBans(id, admin)).map((b) => b.userId), [bob]);

    await h.chat.moderation.unban(id, admin, bob);
    assert.deepEqual(await h.chat.moderation.listBans(id, admin), []);
    await h.chat.conversations.addMembers(id, owner, [bob]);
    assert.ok((await memberIds(h, id, owner)).includes(bob), 'added again once the ban is lifted');
    await rejectsWith(h.chat.moderation.unban(id, admin, bob), 'NOT_FOUND', 'userId');
  });

  test('a ban with an end lapses by itself; a ban of a non-member keeps them out', async (h) => {
    const { id, owner, admin } = await moderatedGroup(h);
    const [outsider] = h.users(1) as [string];
    const until = h.clock.iso(60_000);
    const ban = await h.chat.moderation.ban(id, admin, { userId: outsider, until });
    assert.equal(ban.expiresAt, until);
    await rejectsWith(h.chat.conversations.addMembers(id, owner, [outsider]), 'FORBIDDEN', 'memberIds');
    h.clock.advance(61_000);
    assert.deepEqual(await h.chat.moderation.listBans(id, admin), [], 'an expired ban is not in force');
    await h.chat.conversations.addMembers(id, owner, [outsider]);
    await rejectsWith(h.chat.moderation.ban(id, admin, { userId: outsider, until: h.clock.iso(-1_000) }), 'VALIDATION_FAILED', 'until');
  });

  test('who may ban: moderators only, never the owner, no admin by another admin, no direct conversations', async (h) => {
    const { id, owner, admin, alice, bob } = await moderatedGroup(h);
    const [admin2, outsider] = h.users(2) as [string, string];
    await h.chat.conversations.addMembers(id, owner, [admin2]);
    await h.chat.conversations.updateMemberRole(id, owner, admin2, 'admin');
    await rejectsWith(h.chat.moderation.ban(id, alice, { userId: bob }), 'FORBIDDEN');
    await rejectsWith(h.chat.moderation.ban(id, admin, { userId: owner }), 'FORBIDDEN');
    await rejectsWith(h.chat.moderation.ban(id, admin, { userId: admin2 }), 'FORBIDDEN');
    await rejectsWith(h.chat.moderation.ban(id, admin, { userId: admin }), 'VALIDATION_FAILED', 'userId');
    await rejectsWith(h.chat.moderation.ban(id, outsider, { userId: bob }), 'NOT_FOUND', 'conversationId');
    await rejectsWith(h.chat.moderation.ban(id, admin, { userId: bob, reason: 'x'.repeat(501) }), 'VALIDATION_FAILED', 'reason');
    await rejectsWith(h.chat.moderation.listBans(id, alice), 'FORBIDDEN');
    const direct = await h.direct(alice, bob);
    await rejectsWith(h.chat.moderation.ban(direct, alice, { userId: bob }), 'FORBIDDEN');
    assert.deepEqual(await memberIds(h, id, owner), [admin, admin2, alice, bob, owner].sort(), 'nothing changed');
    // The owner may ban an admin.
    await h.chat.moderation.ban(id, owner, { userId: admin2 });
    assert.ok(!(await memberIds(h, id, owner)).includes(admin2));
  });

  test('a muted member reads but cannot send or edit, until lifted or until the end', async (h) => {
    const { id, admin, alice, bob } = await moderatedGroup(h);
    const before = await h.send(alice, id, 'before');
    const member = await h.chat.moderation.silenceMember(id, admin, { userId: alice });
    assert.equal(member.userId, alice);
    assert.ok(member.silencedUntil !== null);
    const error = await rejectsWith(h.send(alice, id, 'muted'), 'FORBIDDEN');
    assert.match(error.message, /muted/);
    await rejectsWith(h.chat.messages.editMessage(before.id, alice, 'edited'), 'FORBIDDEN');
    assert.equal((await h.chat.messages.getConversationMessages(id, alice, { limit: 10 })).messages.length > 0, true, 'still reads');
    await h.send(bob, id, 'others still send');

    const lifted = await h.chat.moderation.unsilenceMember(id, admin, alice);
    assert.equal(lifted.silencedUntil, null);
    await h.send(alice, id, 'free again');

    await h.chat.moderation.silenceMember(id, admin, { userId: alice, until: h.clock.iso(30_000) });
    await rejectsWith(h.send(alice, id, 'muted for a while'), 'FORBIDDEN');
    h.clock.advance(31_000);
    await h.send(alice, id, 'the mute ended');
    await rejectsWith(h.chat.moderation.silenceMember(id, bob, { userId: alice }), 'FORBIDDEN');
  });

  test('the store itself refuses a muted member’s insert, whatever the caller checked', async (h) => {
    const { id, admin, alice } = await moderatedGroup(h);
    await h.chat.moderation.silenceMember(id, admin, { userId: alice });
    const [result] = await h.store.insertMessages([rawMessage(id, alice, h.clock.iso())]);
    assert.equal(result!.status, 'refused');
    assert.equal((await h.chat.messages.getConversationMessages(id, admin, { limit: 50 })).messages.filter((m) => m.senderId === alice).length, 0);
  });

  test('slow mode: one message per period per member, moderators exempt, the wait in RATE_LIMITED', async (h) => {
    const { id, owner, admin, alice } = await moderatedGroup(h);
    const set = await h.chat.moderation.setSlowMode(id, admin, 30);
    assert.deepEqual(set, { conversationId: id, slowModeSeconds: 30 });
    assert.equal((await h.chat.conversations.getConversationById(id, alice)).slowModeSeconds, 30);
    await h.send(alice, id, 'one');
    const error = await rejectsWith(h.send(alice, id, 'two'), 'RATE_LIMITED');
    assert.equal(error.details?.slowModeSeconds, 30);
    assert.ok(typeof error.details?.retryAfterMs === 'number' && error.details.retryAfterMs > 0 && error.details.retryAfterMs <= 30_000);
    await h.send(admin, id, 'moderators are exempt');
    await h.send(admin, id, 'still exempt');
    await h.send(owner, id, 'so is the owner');
    h.clock.advance(31_000);
    await h.send(alice, id, 'after the wait');

    await h.chat.moderation.setSlowMode(id, admin, 0);
    await h.send(alice, id, 'off');
    await h.send(alice, id, 'and again');
    await rejectsWith(h.chat.moderation.setSlowMode(id, alice, 10), 'FORBIDDEN');
    await rejectsWith(h.chat.moderation.setSlowMode(id, admin, -1), 'VALIDATION_FAILED', 'seconds');
    await rejectsWith(h.chat.moderation.setSlowMode(id, admin, 1.5), 'VALIDATION_FAILED', 'seconds');
    await rejectsWith(h.chat.moderation.setSlowMode(id, admin, 21_601), 'VALIDATION_FAILED', 'seconds');
  });

  test('blocks: a direct conversation takes no messages and none opens while either blocks the other', async (h) => {
    const [a, b, c] = h.users(3) as [string, string, string];
    const direct = await h.direct(a, b);
    await h.send(a, direct, 'hi');
    assert.deepEqual(await h.chat.moderation.blockUser(a, b), { userId: b, blocked: true });
    assert.deepEqual(await h.chat.moderation.blockUser(a, b), { userId: b, blocked: true }, 'blocking twice is harmless');
    assert.deepEqual(await h.chat.moderation.listBlockedUsers(a), [b]);
    assert.deepEqual(await h.chat.moderation.listBlockedUsers(b), [], 'blocks are private to the blocker');
    await rejectsWith(h.send(a, direct, 'to a blocked user'), 'FORBIDDEN');
    await rejectsWith(h.send(b, direct, 'to someone who blocks me'), 'FORBIDDEN');
    assert.equal((await h.chat.messages.getConversationMessages(direct, b, { limit: 10 })).messages.length, 1, 'the history stays readable');

    await h.chat.moderation.blockUser(c, a);
    await rejectsWith(h.chat.conversations.createDirectConversation(a, c), 'FORBIDDEN');
    assert.equal(await h.chat.moderation.isBlockedBetween(c, a), true);

    assert.deepEqual(await h.chat.moderation.unblockUser(a, b), { userId: b, blocked: false });
    await h.send(b, direct, 'talking again');
    await rejectsWith(h.chat.moderation.blockUser(a, a), 'VALIDATION_FAILED', 'userId');
    // A group with both stays open: blocks are about direct conversations.
    const group = await h.group(c, [a]);
    await h.send(a, group, 'groups are not blocked');
  });

  test('reports: one per reporter and message, never of one’s own or a system message; the queue is for moderators', async (h) => {
    const { id, admin, alice, bob } = await moderatedGroup(h);
    const message = await h.send(bob, id, 'buy cheap watches');
    const first = await h.chat.moderation.reportMessage(message.id, alice, { reason: 'spam', note: 'again' });
    assert.equal(first.status, 'open');
    assert.equal(first.reporterId, alice);
    assert.equal(first.note, 'again');
    const again = await h.chat.moderation.reportMessage(message.id, alice, { reason: 'harassment' });
    assert.equal(again.id, first.id, 'reporting again answers the first report');
    await h.chat.moderation.reportMessage(message.id, admin, { reason: 'spam' });
    await rejectsWith(h.chat.moderation.reportMessage(message.id, bob, { reason: 'spam' }), 'VALIDATION_FAILED', 'messageId');
    await rejectsWith(h.chat.moderation.reportMessage(message.id, alice, { reason: 'boring' as never }), 'VALIDATION_FAILED', 'reason');
    const system = (await h.chat.messages.getConversationMessages(id, alice, { limit: 50 })).messages.find((m) => m.type === 'system')!;
    await rejectsWith(h.chat.moderation.reportMessage(system.id, alice, { reason: 'spam' }), 'VALIDATION_FAILED', 'messageId');
    const [outsider] = h.users(1) as [string];
    await rejectsWith(h.chat.moderation.reportMessage(message.id, outsider, { reason: 'spam' }), 'NOT_FOUND');

    const page = await h.chat.moderation.listReports(id, admin, { status: 'open' });
    assert.equal(page.items.length, 2);
    assert.equal(page.items[0]!.id, first.id, 'oldest first');
    const one = await h.chat.moderation.listReports(id, admin, { limit: 1 });
    assert.equal(one.items.length, 1);
    assert.ok(one.nextCursor !== null);
    const rest = await h.chat.moderation.listReports(id, admin, { limit: 1, cursor: one.nextCursor! });
    assert.notEqual(rest.items[0]!.id, one.items[0]!.id);
    await rejectsWith(h.chat.moderation.listReports(id, alice), 'FORBIDDEN');
    assert.equal((await h.chat.moderation.reviewQueue({ conversationId: id })).items.length, 2);
  });

  test('resolving a report: dismiss, delete for everyone, or ban the author; a second resolution is CONFLICT', async (h) => {
    const { id, owner, admin, alice, bob } = await moderatedGroup(h);
    const kept = await h.send(bob, id, 'borderline');
    const dismissed = await h.chat.moderation.reportMessage(kept.id, alice, { reason: 'other' });
    const [resolved] = await h.chat.moderation.resolveReport(dismissed.id, admin, 'dismiss');
    assert.equal(resolved!.status, 'resolved');
    assert.equal(resolved!.resolution, 'dismissed');
    assert.equal(resolved!.resolvedBy, admin);
    assert.equal((await h.chat.messages.getMessageById(kept.id, alice)).deletedForEveryone, false);
    await rejectsWith(h.chat.moderation.resolveReport(dismissed.id, admin, 'delete'), 'CONFLICT', 'reportId');

    const bad = await h.send(bob, id, 'abuse');
    const r1 = await h.chat.moderation.reportMessage(bad.id, alice, { reason: 'harassment' });
    const r2 = await h.chat.moderation.reportMessage(bad.id, owner, { reason: 'harassment' });
    await rejectsWith(h.chat.moderation.resolveReport(r1.id, alice, 'delete'), 'FORBIDDEN');
    const deleted = await h.chat.moderation.resolveReport(r1.id, admin, 'delete');
    assert.deepEqual(deleted.map((r) => r.id).sort(), [r1.id, r2.id].sort(), 'every open report of the message is resolved');
    assert.ok(deleted.every((r) => r.resolution === 'deleted'));
    assert.equal((await h.chat.messages.getMessageById(bad.id, admin)).deletedForEveryone, true);

    const worse = await h.send(bob, id, 'worse');
    const r3 = await h.chat.moderation.reportMessage(worse.id, alice, { reason: 'hate' });
    const banned = await h.chat.moderation.resolveReport(r3.id, admin, 'ban');
    assert.equal(banned[0]!.resolution, 'banned');
    assert.ok(!(await memberIds(h, id, owner)).includes(bob), 'the author is banned');
    assert.deepEqual((await h.chat.moderation.listBans(id, admin)).map((b) => b.userId), [bob]);
    assert.equal((await h.chat.moderation.listReports(id, admin, { status: 'open' })).items.length, 0);
    await rejectsWith(h.chat.moderation.resolveReport(r3.id, admin, 'wipe' as never), 'VALIDATION_FAILED', 'action');
  });

  test('every moderation action is in the audit log, newest first, for moderators only', async (h) => {
    const { id, owner, admin, alice, bob } = await moderatedGroup(h);
    await h.chat.moderation.silenceMember(id, admin, { userId: alice });
    await h.chat.moderation.unsilenceMember(id, admin, alice);
    await h.chat.moderation.setSlowMode(id, admin, 10);
    await h.chat.moderation.ban(id, admin, { userId: bob, reason: 'spam' });
    await h.chat.moderation.unban(id, owner, bob);
    const adminMessage = await h.send(admin, id, 'admin words');
    await h.chat.messages.deleteMessage(adminMessage.id, owner, true);
    const log = await h.chat.moderation.auditLog(id, owner, { limit: 50 });
    assert.deepEqual(
      log.items.map((e) => e.action),
      ['message_deleted', 'member_unbanned', 'member_banned', 'slow_mode_changed', 'member_unsilenced', 'member_silenced'],
    );
    const ban = log.items.find((e) => e.action === 'member_banned')!;
    assert.equal(ban.actorId, admin);
    assert.equal(ban.targetUserId, bob);
    assert.equal(ban.conversationId, id);
    assert.equal((ban.data as { reason?: string } | null)?.reason, 'spam');
    assert.equal(log.items[0]!.messageId, adminMessage.id);
    const first = await h.chat.moderation.auditLog(id, owner, { limit: 2 });
    const second = await h.chat.moderation.auditLog(id, owner, { limit: 2, cursor: first.nextCursor! });
    assert.deepEqual([...first.items, ...second.items].map((e) => e.id), log.items.slice(0, 4).map((e) => e.id));
    await rejectsWith(h.chat.moderation.auditLog(id, alice), 'FORBIDDEN');
    // A refused action writes nothing.
    await rejectsWith(h.chat.moderation.ban(id, admin, { userId: owner }), 'FORBIDDEN');
    assert.equal((await h.chat.moderation.auditLog(id, owner, { limit: 50 })).items.length, log.items.length);
  });

  test('a deleted conversation takes its bans, reports and audit log with it', async (h) => {
    const { id, owner, admin, alice, bob } = await moderatedGroup(h);
    await h.chat.moderation.ban(id, admin, { userId: bob });
    const message = await h.send(admin, id, 'x');
    await h.chat.moderation.reportMessage(message.id, alice, { reason: 'spam' });
    // A group ends when its last member leaves.
    for (const userId of [alice, admin, owner]) await h.chat.conversations.leaveConversation(id, userId);
    assert.equal((await h.chat.moderation.reviewQueue({ conversationId: id })).items.length, 0);
    assert.deepEqual(await h.store.listAudit(id, { limit: 10 }), []);
  });

  test('the capability table decides who moderates, and conversations report it', async (h) => {
    const [owner, alice, bob] = h.users(3) as [string, string, string];
    const id = await h.group(owner, [alice, bob]);
    const list = await h.chat.conversations.getUserConversations(alice);
    const caps = list.items.find((c) => c.id === id)!.capabilities;
    assert.ok(caps.includes('send'));
    assert.ok(!caps.includes('moderate'), 'members do not moderate by default');
    const ownerCaps = (await h.chat.conversations.getUserConversations(owner)).items.find((c) => c.id === id)!.capabilities;
    assert.ok(ownerCaps.includes('moderate'));
  });

  test(
    'a host table can let members moderate, or keep admins from it',
    async (h) => {
      const { id, admin, alice, bob } = await moderatedGroup(h);
      await h.chat.moderation.silenceMember(id, alice, { userId: bob });
      await rejectsWith(h.send(bob, id, 'muted by a member'), 'FORBIDDEN');
      await rejectsWith(h.chat.moderation.setSlowMode(id, admin, 5), 'FORBIDDEN');
    },
    {
      capabilities: {
        group: {
          member: [...DEFAULT_CAPABILITIES.group.member, 'moderate'],
          admin: DEFAULT_CAPABILITIES.group.admin.filter((c) => c !== 'moderate'),
        },
      },
    },
  );
}

function rawMessage(conversationId: string, senderId: string, createdAt: string): NewMessage {
  return {
    id: newId(),
    conversationId,
    senderId,
    type: 'text',
    content: 'straight to the store',
    replyToId: null,
    attachments: [],
    metadata: null,
    clientMessageId: null,
    createdAt,
    notify: false,
  };
}

export const moderationRaceCases: RaceCase[] = [
  {
    name: 'two moderators resolve one report at once from two instances: one wins, the other gets CONFLICT',
    instances: 2,
    async run(h) {
      for (let round = 0; round < 6; round++) {
        const [owner, admin, alice, bob] = h.users(4) as [string, string, string, string];
        const id = (await h.nodes[0]!.conversations.createGroupConversation(owner, { name: 'r', memberIds: [admin, alice, bob] })).id;
        await h.nodes[0]!.conversations.updateMemberRole(id, owner, admin, 'admin');
        const message = await h.nodes[0]!.messages.sendMessage(bob, { conversationId: id, content: 'spam' });
        const report = await h.nodes[1]!.moderation.reportMessage(message.id, alice, { reason: 'spam' });
        const results = await Promise.allSettled([
          h.nodes[0]!.moderation.resolveReport(report.id, owner, 'dismiss'),
          h.nodes[1]!.moderation.resolveReport(report.id, admin, 'dismiss'),
        ]);
        const ok = results.filter((r) => r.status === 'fulfilled');
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(ok.length, 1, `round ${round}: exactly one resolution`);
        assert.ok(failed[0]!.reason instanceof ChatError && failed[0]!.reason.code === 'CONFLICT', String(failed[0]?.reason));
        const audit = await h.stores[0]!.listAudit(id, { limit: 50 });
        assert.equal(audit.filter((e) => e.action === 'report_resolved').length, 1, 'one audit entry');
      }
    },
  },
  {
    name: 'a ban and an add of the same user at once: the user never ends up a member while banned',
    instances: 2,
    async run(h) {
      for (let round = 0; round < 6; round++) {
        const [owner, admin, target] = h.users(3) as [string, string, string];
        const id = (await h.nodes[0]!.conversations.createGroupConversation(owner, { name: 'r', memberIds: [admin] })).id;
        await h.nodes[0]!.conversations.updateMemberRole(id, owner, admin, 'admin');
        await Promise.allSettled([
          h.nodes[0]!.moderation.ban(id, admin, { userId: target }),
          h.nodes[1]!.conversations.addMembers(id, owner, [target]),
        ]);
        const state = await h.stores[1]!.getMember(id, target);
        assert.equal(state, null, `round ${round}: a banned user is not a member`);
        assert.deepEqual((await h.nodes[1]!.moderation.listBans(id, owner)).map((b) => b.userId), [target]);
      }
    },
  },
  {
    name: 'a member muted through one instance cannot send through another whose cache still holds them',
    instances: 2,
    async run(h) {
      const [owner, alice] = h.users(2) as [string, string];
      const id = (await h.nodes[0]!.conversations.createGroupConversation(owner, { name: 'r', memberIds: [alice] })).id;
      await h.nodes[1]!.messages.sendMessage(alice, { conversationId: id, content: 'warm the cache' });
      await h.nodes[0]!.moderation.silenceMember(id, owner, { userId: alice });
      let refused = 0;
      for (let i = 0; i < 5; i++) {
        try {
          await h.nodes[1]!.messages.sendMessage(alice, { conversationId: id, content: `muted ${i}` });
        } catch (error) {
          assert.ok(error instanceof ChatError && error.code === 'FORBIDDEN', String(error));
          refused += 1;
        }
      }
      assert.equal(refused, 5);
      const stored = await h.stores[0]!.listMessages(id, owner, { after: 0, limit: 50 });
      assert.equal(stored.messages.filter((m) => m.senderId === alice).length, 1, 'only the message from before the mute');
    },
  },
  {
    name: 'one user reporting one message from two instances at once files one report',
    instances: 2,
    async run(h) {
      for (let round = 0; round < 6; round++) {
        const [owner, alice, bob] = h.users(3) as [string, string, string];
        const id = (await h.nodes[0]!.conversations.createGroupConversation(owner, { name: 'r', memberIds: [alice, bob] })).id;
        const message = await h.nodes[0]!.messages.sendMessage(bob, { conversationId: id, content: 'spam' });
        const [a, b] = await Promise.all([
          h.nodes[0]!.moderation.reportMessage(message.id, alice, { reason: 'spam' }),
          h.nodes[1]!.moderation.reportMessage(message.id, alice, { reason: 'other' }),
        ]);
        assert.equal(a.id, b.id, `round ${round}`);
        assert.equal((await h.stores[1]!.listReports({ conversationId: id, limit: 10 })).length, 1);
      }
    },
  },
];
