import assert from 'node:assert/strict';
import { rejectsWith, type CaseFn, type Harness } from '../harness.js';

async function corpus(h: Harness) {
  const [me, friend, stranger] = h.users(3) as [string, string, string];
  const work = await h.group(me, [friend], 'Work');
  const home = await h.direct(me, friend);
  const secret = await h.group(stranger, [friend], 'Secret');
  const ids = {
    launch: (await h.send(me, work, 'The rocket launch is scheduled for Monday')).id,
    launchLaunch: (await h.send(friend, work, 'launch launch launch')).id,
    dinner: (await h.send(friend, home, 'Dinner at 7? Bring the launch photos')).id,
    viet: (await h.send(friend, home, 'Tiếng Việt có dấu: đường phố Hà Nội')).id,
    percent: (await h.send(me, home, 'Discount 100% off_today "quoted" *star*')).id,
    emoji: (await h.send(me, home, 'party time 🎉🎉')).id,
    hiddenSecret: (await h.send(stranger, secret, 'launch codes are secret')).id,
  };
  const search = (query: string, options: Parameters<Harness['chat']['messages']['searchMessages']>[2] = {}) =>
    h.chat.messages.searchMessages(me, query, options);
  const found = async (query: string, options: Parameters<Harness['chat']['messages']['searchMessages']>[2] = {}) =>
    (await search(query, options)).items.map((i) => i.message.id);
  return { me, friend, stranger, work, home, secret, ids, search, found };
}

export function searchCases(test: CaseFn): void {
  test('search finds words and prefixes, best match first, only in my conversations', async (h) => {
    const { ids, found } = await corpus(h);
    const launch = await found('launch');
    assert.equal(launch[0], ids.launchLaunch, 'the message saying it thrice ranks first');
    assert.deepEqual([...launch].sort(), [ids.launch, ids.launchLaunch, ids.dinner].sort());
    assert.ok(!launch.includes(ids.hiddenSecret), 'never from a conversation I am not in');
    assert.deepEqual(await found('laun'), launch);
    assert.deepEqual(await found('rocket monday'), [ids.launch]);
    assert.deepEqual(await found('rocket tuesday'), []);
  });

  test('deleted and hidden messages are not found', async (h) => {
    const { me, ids, found } = await corpus(h);
    await h.chat.messages.deleteMessage(ids.launch, me, true);
    await h.chat.messages.deleteMessage(ids.dinner, me, false);
    assert.deepEqual(await found('launch'), [ids.launchLaunch]);
  });

  test('edits are searchable by the new text only', async (h) => {
    const { me, ids, found } = await corpus(h);
    await h.chat.messages.editMessage(ids.launch, me, 'The picnic moved to Sunday');
    assert.deepEqual(await found('picnic'), [ids.launch]);
    assert.ok(!(await found('rocket')).includes(ids.launch));
  });

  test('facets count the whole match set by conversation, sender and type', async (h) => {
    const { me, friend, work, home, search } = await corpus(h);
    const result = await search('launch', { limit: 1 });
    assert.equal(result.total, 3);
    assert.equal(result.items.length, 1);
    assert.deepEqual(result.facets.conversations, [
      { conversationId: work, count: 2 },
      { conversationId: home, count: 1 },
    ]);
    assert.deepEqual(
      [...result.facets.senders].sort((x, y) => x.senderId.localeCompare(y.senderId)),
      [
        { senderId: friend, count: 2 },
        { senderId: me, count: 1 },
      ].sort((x, y) => x.senderId.localeCompare(y.senderId)),
    );
    assert.deepEqual(result.facets.types, [{ type: 'text', count: 3 }]);
  });

  test('filters narrow by conversation, sender, type and time', async (h) => {
    const { me, friend, work, home, stranger, secret, ids, found } = await corpus(h);
    assert.deepEqual((await found('launch', { conversationId: work })).sort(), [ids.launch, ids.launchLaunch].sort());
    assert.deepEqual(await found('launch', { senderId: me }), [ids.launch]);
    assert.deepEqual(await found('launch', { conversationId: home, senderId: friend }), [ids.dinner]);
    assert.deepEqual(await found('launch', { conversationId: secret }), [], 'filtering by a foreign conversation finds nothing');
    assert.deepEqual(await found('launch', { senderId: stranger }), []);
    assert.deepEqual(await found('launch', { type: 'image' }), []);
    const later = await h.send(me, work, 'launch again');
    const createdAt = later.createdAt;
    assert.deepEqual(await found('launch', { from: createdAt }), [later.id]);
    assert.ok(!(await found('launch', { to: new Date(Date.parse(createdAt) - 1).toISOString() })).includes(later.id));
    await rejectsWith(h.chat.messages.searchMessages(me, 'x', { from: 'yesterday' }), 'VALIDATION_FAILED', 'from');
  });

  test('any text is safe: quotes, wildcards, operators, emoji', async (h) => {
    const { ids, found } = await corpus(h);
    const hostile = ['"', "'", '%', '_', '*', '"unterminated', 'launch"', 'a AND OR NOT b', 'NEAR(launch, rocket)', 'content:launch', '(launch', '^launch', 'launch -rocket', '\\', "'; DROP TABLE messages; --", '🎉', '%%', '___'];
    for (const query of hostile) await found(query);
    assert.deepEqual(await found('%'), [ids.percent], '% is a character, not a wildcard');
    assert.deepEqual(await found('_'), [ids.percent], '_ is a character, not a wildcard');
    assert.deepEqual(await found('🎉'), [ids.emoji]);
    assert.deepEqual(await found('"quoted"'), [ids.percent]);
    assert.ok((await found('launch"')).includes(ids.launch));
    assert.ok((await found("'; DROP TABLE messages; --")).length === 0);
    assert.equal((await found('launch')).length, 3, 'still intact');
  });

  test('Vietnamese matches with and without diacritics', async (h) => {
    const { ids, found } = await corpus(h);
    assert.deepEqual(await found('Tiếng Việt'), [ids.viet]);
    assert.deepEqual(await found('tieng viet'), [ids.viet]);
    assert.deepEqual(await found('duong pho'), [ids.viet]);
    assert.deepEqual(await found('HÀ NỘI'), [ids.viet]);
    assert.deepEqual(await found('ha noi'), [ids.viet]);
  });

  test('results come in pages through the cursor', async (h) => {
    const { me, work, search } = await corpus(h);
    for (let i = 0; i < 4; i++) await h.send(me, work, `launch number ${i}`);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await search('launch', { limit: 2, ...(cursor === undefined ? {} : { cursor }) });
      assert.equal(page.total, 7);
      seen.push(...page.items.map((i) => i.message.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    assert.equal(seen.length, 7);
    assert.equal(new Set(seen).size, 7);
  });

  test('bad search input is refused', async (h) => {
    const { me, search } = await corpus(h);
    await rejectsWith(search(''), 'VALIDATION_FAILED', 'query');
    await rejectsWith(search('   '), 'VALIDATION_FAILED', 'query');
    await rejectsWith(search('x'.repeat(501)), 'VALIDATION_FAILED', 'query');
    await rejectsWith(search('x', { limit: 0 }), 'VALIDATION_FAILED', 'limit');
    await rejectsWith(search('x', { cursor: 'nope' }), 'VALIDATION_FAILED', 'cursor');
    await rejectsWith(h.chat.messages.searchMessages(me, 42 as unknown as string), 'VALIDATION_FAILED', 'query');
  });
}
