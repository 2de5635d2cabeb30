import assert from 'node:assert/strict';
import { collectEvents, rejectsWith, type CaseFn } from '../harness.js';

export function memberCases(test: CaseFn): void {
  test('admins and the owner add members; members cannot', async ({ chat, users, group }) => {
    const [owner, admin, member, x, y] = users(5) as [string, string, string, string, string];
    const id = await group(owner, [admin, member]);
    await chat.conversations.updateMemberRole(id, owner, admin, 'admin');
    await rejectsWith(chat.conversations.addMembers(id, member, [x]), 'FORBIDDEN');
    const added = await chat.conversations.addMembers(id, admin, [x, y, member]);
    assert.deepEqual(added.map((m) => m.userId).sort(), [x, y].sort(), 'existing members are skipped');
    assert.deepEqual(await chat.conversations.addMembers(id, owner, [x]), []);
    const { messages } = await chat.messages.getConversationMessages(id, x);
    const system = messages[messages.length - 1]!;
    assert.equal(system.type, 'system');
    assert.equal(system.metadata?.event, 'members_added');
    assert.match(system.content ?? '', new RegExp(`${admin} added`));
    await rejectsWith(chat.conversations.addMembers(id, owner, []), 'VALIDATION_FAILED', 'memberIds');
  });

  test('membership changes raise events for everyone concerned', async ({ chat, users, group }) => {
    const [owner, b, c] = users(3) as [string, string, string];
    const id = await group(owner, [b]);
    const changes = await collectEvents(chat, 'membership_changed', () => chat.conversations.addMembers(id, owner, [c]));
    assert.deepEqual(changes, [{ conversationId: id, added: [c], removed: [] }]);
    const updates = await collectEvents(chat, 'conversation_updated', () => chat.conversations.removeMember(id, owner, b));
    assert.equal(updates[0]!.updateType, 'member_removed');
    assert.ok(updates[0]!.audience.includes(b), 'the removed member is told too');
  });

  test('removal rules: nobody removes the owner; an admin cannot remove an admin', async ({ chat, users, group }) => {
    const [owner, admin1, admin2, member, other] = users(5) as [string, string, string, string, string];
    const id = await group(owner, [admin1, admin2, member, other]);
    await chat.conversations.updateMemberRole(id, owner, admin1, 'admin');
    await chat.conversations.updateMemberRole(id, owner, admin2, 'admin');
    await rejectsWith(chat.conversations.removeMember(id, admin1, owner), 'FORBIDDEN');
    await rejectsWith(chat.conversations.removeMember(id, admin1, admin2), 'FORBIDDEN');
    await rejectsWith(chat.conversations.removeMember(id, member, other), 'FORBIDDEN');
    await rejectsWith(chat.conversations.removeMember(id, owner, owner), 'VALIDATION_FAILED', 'memberId');
    await rejectsWith(chat.conversations.removeMember(id, owner, 'nobody'), 'NOT_FOUND', 'memberId');
    await chat.conversations.removeMember(id, admin1, member);
    await chat.conversations.removeMember(id, owner, admin2);
    const left = await chat.conversations.getConversationMembers(id, owner);
    assert.deepEqual(left.map((m) => m.userId).sort(), [owner, admin1, other].sort());
  });

  test('a removed member loses access at once', async ({ chat, users, group, send }) => {
    const [owner, b] = users(2) as [string, string];
    const id = await group(owner, [b]);
    const message = await send(b, id, 'before');
    await chat.conversations.removeMember(id, owner, b);
    await rejectsWith(send(b, id, 'after'), 'NOT_FOUND', 'conversationId');
    await rejectsWith(chat.messages.getConversationMessages(id, b), 'NOT_FOUND');
    await rejectsWith(chat.messages.getMessageById(message.id, b), 'NOT_FOUND');
    await rejectsWith(chat.messages.reactToMessage(message.id, b, '👍'), 'NOT_FOUND');
    assert.equal(await chat.conversations.isUserInConversation(id, b), false);
  });

  test('only the owner changes roles, and making an owner hands ownership over', async ({ chat, users, group }) => {
    const [owner, admin, member] = users(3) as [string, string, string];
    const id = await group(owner, [admin, member]);
    await chat.conversations.updateMemberRole(id, owner, admin, 'admin');
    await rejectsWith(chat.conversations.updateMemberRole(id, admin, member, 'admin'), 'FORBIDDEN');
    await rejectsWith(chat.conversations.updateMemberRole(id, owner, owner, 'member'), 'VALIDATION_FAILED', 'memberId');
    await rejectsWith(chat.conversations.updateMemberRole(id, owner, member, 'king' as 'admin'), 'VALIDATION_FAILED', 'role');
    await chat.conversations.updateMemberRole(id, owner, member, 'owner');
    const roles = new Map((await chat.conversations.getConversationMembers(id, owner)).map((m) => [m.userId, m.role]));
    assert.equal(roles.get(member), 'owner');
    assert.equal(roles.get(owner), 'admin');
    assert.equal([...roles.values()].filter((r) => r === 'owner').length, 1);
    await rejectsWith(chat.conversations.updateMemberRole(id, owner, admin, 'member'), 'FORBIDDEN', undefined);
  });

  test('an owner leaving hands over to the oldest admin, else the oldest member', async ({ chat, users, group }) => {
    const [owner, m1, m2, a1] = users(4) as [string, string, string, string];
    const id = await group(owner, [m1, m2]);
    await chat.conversations.addMembers(id, owner, [a1]);
    await chat.conversations.updateMemberRole(id, owner, a1, 'admin');
    const left = await chat.conversations.leaveConversation(id, owner);
    assert.equal(left.newOwnerId, a1);
    assert.equal(await chat.conversations.getUserRoleInConversation(id, a1), 'owner');
    const second = await chat.conversations.leaveConversation(id, a1);
    assert.ok(second.newOwnerId === m1 || second.newOwnerId === m2);
    const members = await chat.conversations.getConversationMembers(id, m1);
    assert.equal(members.filter((m) => m.role === 'owner').length, 1);
    assert.equal(members[0]!.role, 'owner', 'the oldest member became owner');
  });

  test('the last member leaving ends the group', async ({ chat, users, group, store, send }) => {
    const [owner, b] = users(2) as [string, string];
    const id = await group(owner, [b]);
    await send(b, id, 'bye');
    await chat.conversations.leaveConversation(id, b);
    const last = await chat.conversations.leaveConversation(id, owner);
    assert.equal(last.deleted, true);
    assert.equal(await store.getConversation(id), null);
    await rejectsWith(chat.conversations.getConversationById(id, owner), 'NOT_FOUND');
    assert.equal((await chat.conversations.getUserConversations(owner)).items.length, 0);
  });

  test('a direct conversation cannot be left or managed', async ({ chat, users, direct }) => {
    const [a, b, c] = users(3) as [string, string, string];
    const id = await direct(a, b);
    await rejectsWith(chat.conversations.leaveConversation(id, a), 'FORBIDDEN');
    await rejectsWith(chat.conversations.addMembers(id, a, [c]), 'FORBIDDEN');
    await rejectsWith(chat.conversations.removeMember(id, a, b), 'FORBIDDEN');
  });

  test('leave, remove and re-add: history stays, unread starts from rejoining', async ({ chat, users, group, send }) => {
    const [owner, b] = users(2) as [string, string];
    const id = await group(owner, [b]);
    await send(owner, id, 'one');
    await chat.conversations.leaveConversation(id, b);
    await send(owner, id, 'two');
    await chat.conversations.addMembers(id, owner, [b]);
    const item = await chat.conversations.getConversationById(id, b);
    assert.equal(item.unreadCount, 0);
    await send(owner, id, 'three');
    assert.equal((await chat.conversations.getConversationById(id, b)).unreadCount, 1);
    await send(b, id, 'back');
    await chat.conversations.removeMember(id, owner, b);
    await chat.conversations.addMembers(id, owner, [b]);
    assert.equal(await chat.conversations.getUserRoleInConversation(id, b), 'member');
    const { messages } = await chat.messages.getConversationMessages(id, b);
    assert.ok(messages.some((m) => m.content === 'one'));
  });

  const directory = new Map([
    ['alice', 'Alice'],
    ['bob', 'Bob'],
    ['carol', 'Carol'],
  ]);
  const resolveUsers = async (ids: string[]) =>
    ids.filter((id) => directory.has(id)).map((id) => ({ id, name: directory.get(id)! }));

  test(
    'members come in join order with host profiles; unknown users are refused',
    async ({ chat }) => {
      const id = (await chat.conversations.createGroupConversation('alice', { name: 'g', memberIds: ['bob'] })).id;
      await chat.conversations.addMembers(id, 'alice', ['carol']);
      const members = await chat.conversations.getConversationMembers(id, 'bob');
      assert.deepEqual(members.map((m) => [m.userId, m.user?.name]), [
        ['alice', 'Alice'],
        ['bob', 'Bob'],
        ['carol', 'Carol'],
      ]);
      const { messages } = await chat.messages.getConversationMessages(id, 'carol');
      assert.equal(messages[messages.length - 1]!.content, 'Alice added Carol');
      await rejectsWith(chat.conversations.addMembers(id, 'alice', ['mallory']), 'NOT_FOUND', 'memberIds');
      await rejectsWith(chat.conversations.createDirectConversation('alice', 'mallory'), 'NOT_FOUND', 'recipientId');
      await rejectsWith(chat.conversations.createGroupConversation('alice', { name: 'h', memberIds: ['mallory'] }), 'NOT_FOUND', 'memberIds');
    },
    { resolveUsers },
  );
}
