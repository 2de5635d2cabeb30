import assert from 'node:assert/strict';
import { MUTED_FOREVER } from '../../services/conversation-service.js';
import { collectEvents, rejectsWith, type CaseFn } from '../harness.js';

export function conversationCases(test: CaseFn): void {
  test('a direct conversation is unique per pair, whoever creates it', async ({ chat, users }) => {
    const [a, b] = users(2) as [string, string];
    const first = await chat.conversations.createDirectConversation(a, b);
    const again = await chat.conversations.createDirectConversation(a, b);
    const reverse = await chat.conversations.createDirectConversation(b, a);
    assert.equal(first.type, 'direct');
    assert.equal(again.id, first.id);
    assert.equal(reverse.id, first.id);
    const members = await chat.conversations.getConversationMembers(first.id, a);
    assert.deepEqual(members.map((m) => m.userId).sort(), [a, b].sort());
  });

  test('concurrent direct creation from both sides yields one conversation', async ({ chat, users }) => {
    const [a, b] = users(2) as [string, string];
    const results = await Promise.all([
      chat.conversations.createDirectConversation(a, b),
      chat.conversations.createDirectConversation(b, a),
      chat.conversations.createDirectConversation(a, b),
    ]);
    assert.equal(new Set(results.map((r) => r.id)).size, 1);
    assert.equal((await chat.conversations.getUserConversations(a)).items.length, 1);
  });

  test('a direct conversation with yourself is refused', async ({ chat, users }) => {
    const [a] = users(1) as [string];
    await rejectsWith(chat.conversations.createDirectConversation(a, a), 'VALIDATION_FAILED', 'recipientId');
    await rejectsWith(chat.conversations.createDirectConversation(a, ''), 'VALIDATION_FAILED', 'recipientId');
  });

  test('a group has one owner, plain members, and a system message', async ({ chat, users }) => {
    const [owner, b, c] = users(3) as [string, string, string];
    const group = await chat.conversations.createGroupConversation(owner, { name: 'Team', description: 'd', memberIds: [b, c, b, owner] });
    assert.equal(group.type, 'group');
    assert.equal(group.name, 'Team');
    assert.equal(group.role, 'owner');
    const members = await chat.conversations.getConversationMembers(group.id, b);
    assert.deepEqual(
      members.map((m) => [m.userId, m.role]).sort(),
      [[owner, 'owner'], [b, 'member'], [c, 'member']].sort(),
    );
    const page = await chat.messages.getConversationMessages(group.id, owner);
    assert.equal(page.messages.length, 1);
    assert.equal(page.messages[0]!.type, 'system');
    assert.equal(page.messages[0]!.metadata?.event, 'group_created');
  });

  test('group input is validated, naming the field', async ({ chat, users }) => {
    const [owner] = users(1) as [string];
    await rejectsWith(chat.conversations.createGroupConversation(owner, { name: '', memberIds: [] }), 'VALIDATION_FAILED', 'name');
    await rejectsWith(
      chat.conversations.createGroupConversation(owner, { name: 'x', avatarUrl: 'javascript:alert(1)', memberIds: [] }),
      'VALIDATION_FAILED',
      'avatarUrl',
    );
    await rejectsWith(
      chat.conversations.createGroupConversation(owner, { name: 'x', memberIds: 'b' as unknown as string[] }),
      'VALIDATION_FAILED',
      'memberIds',
    );
    assert.equal((await chat.conversations.getUserConversations(owner)).items.length, 0);
  });

  test('a conversation is hidden from non-members as not found', async ({ chat, users, group }) => {
    const [a, b, stranger] = users(3) as [string, string, string];
    const id = await group(a, [b]);
    await rejectsWith(chat.conversations.getConversationById(id, stranger), 'NOT_FOUND', 'conversationId');
    await rejectsWith(chat.conversations.getConversationById('no-such-id', a), 'NOT_FOUND', 'conversationId');
    await rejectsWith(chat.conversations.getConversationMembers(id, stranger), 'NOT_FOUND');
    const found = await chat.conversations.getConversationById(id, b);
    assert.equal(found.id, id);
    assert.equal(found.role, 'member');
  });

  test('only admins and the owner edit a group, and members are told', async ({ chat, users, group, direct }) => {
    const [owner, admin, member] = users(3) as [string, string, string];
    const id = await group(owner, [admin, member]);
    await chat.conversations.updateMemberRole(id, owner, admin, 'admin');
    await rejectsWith(chat.conversations.updateConversation(id, member, { name: 'Nope' }), 'FORBIDDEN');
    const events = await collectEvents(chat, 'conversation_updated', () =>
      chat.conversations.updateConversation(id, admin, { name: 'Renamed', description: null }),
    );
    assert.equal((await chat.conversations.getConversationById(id, member)).name, 'Renamed');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.updateType, 'updated');
    assert.deepEqual([...events[0]!.audience].sort(), [owner, admin, member].sort());
    await rejectsWith(chat.conversations.updateConversation(id, owner, {}), 'VALIDATION_FAILED', 'name');
    const dm = await direct(owner, member);
    await rejectsWith(chat.conversations.updateConversation(dm, owner, { name: 'x' }), 'FORBIDDEN');
  });

  test('the list is ordered by last activity with unread counts, last message and mute', async ({ chat, users, group, direct, send }) => {
    const [me, b, c] = users(3) as [string, string, string];
    const g1 = await group(me, [b], 'First');
    const g2 = await group(me, [c], 'Second');
    const dm = await direct(me, b);
    await send(b, g1, 'one');
    await send(b, g1, 'two');
    await send(me, dm, 'mine');
    await chat.conversations.muteConversation(g2, me);
    const { items } = await chat.conversations.getUserConversations(me);
    assert.deepEqual(items.map((i) => i.id), [dm, g1, g2]);
    const byId = new Map(items.map((i) => [i.id, i]));
    assert.equal(byId.get(g1)!.unreadCount, 2);
    assert.equal(byId.get(g1)!.lastMessage?.content, 'two');
    assert.equal(byId.get(dm)!.unreadCount, 0);
    assert.equal(byId.get(g2)!.muted, true);
    assert.equal(byId.get(g1)!.muted, false);
  });

  test('list pages follow the cursor without gaps or repeats', async ({ chat, users, group }) => {
    const [me, other] = users(2) as [string, string];
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push(await group(me, [other], `G${i}`));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await chat.conversations.getUserConversations(me, { limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor !== undefined);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...ids].reverse());
    await rejectsWith(chat.conversations.getUserConversations(me, { cursor: 'garbage!' }), 'VALIDATION_FAILED', 'cursor');
  });

  test('the list filters by type, search (taken literally) and archive', async ({ chat, users, group, direct }) => {
    const [me, b] = users(2) as [string, string];
    const sales = await group(me, [b], 'Sales 100%');
    const support = await group(me, [b], 'Support_team');
    const dm = await direct(me, b);
    const list = async (options: Parameters<typeof chat.conversations.getUserConversations>[1]) =>
      (await chat.conversations.getUserConversations(me, options)).items.map((i) => i.id);
    assert.deepEqual(await list({ type: 'direct' }), [dm]);
    assert.deepEqual((await list({ type: 'group' })).sort(), [sales, support].sort());
    assert.deepEqual(await list({ search: '100%' }), [sales]);
    assert.deepEqual(await list({ search: '%' }), [sales]);
    assert.deepEqual(await list({ search: '_' }), [support]);
    assert.deepEqual(await list({ search: 'SUPPORT' }), [support]);
    await chat.conversations.archiveConversation(sales, me);
    assert.deepEqual((await list({})).sort(), [support, dm].sort());
    assert.deepEqual(await list({ archived: true }), [sales]);
    assert.equal((await chat.conversations.getUserConversations(b)).items.length, 3, 'archive is per member');
    await chat.conversations.unarchiveConversation(sales, me);
    assert.equal((await list({})).length, 3);
  });

  test('list options are validated', async ({ chat, users }) => {
    const [me] = users(1) as [string];
    for (const limit of [0, 101, -1, Number.NaN, 2.5]) {
      await rejectsWith(chat.conversations.getUserConversations(me, { limit }), 'VALIDATION_FAILED', 'limit');
    }
    await rejectsWith(chat.conversations.getUserConversations(me, { type: 'channel' as 'group' }), 'VALIDATION_FAILED', 'type');
  });

  test('mute until a time, with no end, and unmute', async ({ chat, users, group, clock }) => {
    const [me, b] = users(2) as [string, string];
    const id = await group(me, [b]);
    const until = clock.iso(60_000);
    const muted = await chat.conversations.muteConversation(id, me, until);
    assert.equal(muted.mutedUntil, until);
    assert.equal((await chat.conversations.getConversationById(id, me)).muted, true);
    clock.advance(120_000);
    assert.equal((await chat.conversations.getConversationById(id, me)).muted, false, 'a mute ends by itself');
    assert.equal((await chat.conversations.muteConversation(id, me)).mutedUntil, MUTED_FOREVER);
    assert.equal((await chat.conversations.unmuteConversation(id, me)).mutedUntil, null);
    await rejectsWith(chat.conversations.muteConversation(id, me, clock.iso(-60_000)), 'VALIDATION_FAILED', 'until');
    await rejectsWith(chat.conversations.muteConversation(id, me, 'tomorrow'), 'VALIDATION_FAILED', 'until');
  });

  test('archive and mute changes are told to that member only', async ({ chat, users, group }) => {
    const [me, b] = users(2) as [string, string];
    const id = await group(me, [b]);
    const events = await collectEvents(chat, 'conversation_updated', async () => {
      await chat.conversations.archiveConversation(id, me);
      await chat.conversations.muteConversation(id, me);
    });
    assert.deepEqual(events.map((e) => [e.updateType, e.audience]), [['archived', [me]], ['muted', [me]]]);
  });

  test('stats count conversations by type, archive, mute and unread', async ({ chat, users, group, direct, send }) => {
    const [me, b, c] = users(3) as [string, string, string];
    const g = await group(me, [b, c]);
    const dm = await direct(me, b);
    await direct(me, c);
    await send(b, g, 'x');
    await send(c, g, 'y');
    await send(b, dm, 'z');
    await chat.conversations.archiveConversation(dm, me);
    await chat.conversations.muteConversation(g, me);
    assert.deepEqual(await chat.conversations.getConversationStats(me), {
      total: 3,
      direct: 2,
      group: 1,
      archived: 1,
      muted: 1,
      unreadConversations: 2,
      unreadMessages: 3,
    });
  });

  test('membership checks: isUserInConversation and the role', async ({ chat, users, group }) => {
    const [owner, b, stranger] = users(3) as [string, string, string];
    const id = await group(owner, [b]);
    assert.equal(await chat.conversations.isUserInConversation(id, b), true);
    assert.equal(await chat.conversations.isUserInConversation(id, stranger), false);
    assert.equal(await chat.conversations.getUserRoleInConversation(id, owner), 'owner');
    assert.equal(await chat.conversations.getUserRoleInConversation(id, b), 'member');
    assert.equal(await chat.conversations.getUserRoleInConversation(id, stranger), null);
  });

  test('the conversation-id cache follows membership changes', async ({ chat, users, group }) => {
    const [owner, b] = users(2) as [string, string];
    const first = await group(owner, [b]);
    assert.deepEqual(await chat.conversations.getUserConversationIds(b), [first]);
    const second = await group(owner, []);
    await chat.conversations.addMembers(second, owner, [b]);
    assert.deepEqual((await chat.conversations.getUserConversationIds(b)).sort(), [first, second].sort());
    await chat.conversations.removeMember(first, owner, b);
    assert.deepEqual(await chat.conversations.getUserConversationIds(b), [second]);
  });

  test('contacts: everyone who shares a conversation with the user, once each', async ({ chat, users, group, direct }) => {
    const [me, a, b, c, stranger] = users(5) as [string, string, string, string, string];
    await group(me, [a, b]);
    await group(a, [me, b, c]);
    await direct(me, c);
    await direct(a, stranger);
    assert.deepEqual((await chat.conversations.getContacts(me)).sort(), [a, b, c].sort());
    assert.deepEqual(await chat.conversations.getContacts('nobody-at-all'), []);
    const left = await group(me, [stranger]);
    await chat.conversations.leaveConversation(left, stranger);
    assert.ok(!(await chat.conversations.getContacts(me)).includes(stranger), 'a member who left is no contact');
  });
}
