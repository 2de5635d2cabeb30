import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startNode, type Node } from './setup.js';
import type { TestClient } from './ws-client.js';

let node: Node;
let ann: TestClient;
let ben: TestClient;
let conversationId: string;

beforeEach(async () => {
  node = await startNode({ hub: { rateLimits: { frames: 60, frameWindowMs: 60_000 } } });
  ann = await node.connect('ann');
  ben = await node.connect('ben');
  conversationId = (await node.chat.conversations.createGroupConversation('ann', { name: 'Team', memberIds: ['ben'] })).id;
});
afterEach(() => node.close());

describe('every client event answers exactly once with replyTo', () => {
  it('join and leave a conversation', async () => {
    const joined = await ann.request('join_conversation', { conversationId });
    expect(joined.type).toBe('joined_conversation');
    expect(joined.data.conversationId).toBe(conversationId);
    expect(joined.data.onlineUserIds.sort()).toEqual(['ann', 'ben']);
    await ben.request('join_conversation', { conversationId });
    expect((await ann.next('user_joined_conversation')).data).toEqual({ conversationId, userId: 'ben' });
    const left = await ben.request('leave_conversation', { conversationId });
    expect(left.type).toBe('left_conversation');
    expect((await ann.next('user_left_conversation')).data).toEqual({ conversationId, userId: 'ben' });
    const error = await ben.request('join_conversation', { conversationId: 'not-mine' });
    expect(error.type).toBe('error');
    expect(error.data.code).toBe('NOT_FOUND');
  });

  it('send, edit, delete, react, remove reaction, mark as read', async () => {
    const sent = await ann.request('send_message', { conversationId, content: 'hi', tempId: 'tmp-1' });
    expect(sent.type).toBe('message_sent');
    expect(sent.data.tempId).toBe('tmp-1');
    // The ack carries what the server decided; the sender has the rest (content, clientMessageId = tempId).
    expect(Object.keys(sent.data.message).sort()).toEqual(['createdAt', 'id', 'seq', 'version']);
    const id = sent.data.message.id;
    const resent = await ann.request('send_message', { conversationId, content: 'hi', tempId: 'tmp-1' });
    expect(resent.data.message.id).toBe(id);

    const edited = await ann.request('edit_message', { messageId: id, content: 'hello' });
    expect(edited.type).toBe('message_edit_success');
    expect(edited.data.message.content).toBe('hello');

    const reacted = await ben.request('react_to_message', { messageId: id, emoji: '👍' });
    expect(reacted.type).toBe('react_to_message_success');
    expect(reacted.data).toMatchObject({ action: 'added', emoji: '👍' });
    const removed = await ben.request('remove_reaction', { messageId: id, emoji: '👍' });
    expect(removed.type).toBe('remove_reaction_success');

    const read = await ben.request('mark_as_read', { conversationId });
    expect(read.type).toBe('mark_as_read_success');
    expect(read.data).toEqual({ markedCount: 1, lastReadSeq: 2 });

    const deleted = await ann.request('delete_message', { messageId: id, forEveryone: true });
    expect(deleted.type).toBe('message_delete_success');
    expect(deleted.data.messageId).toBe(id);
  });

  it('pin, list pins, unpin and edit history', async () => {
    const id = (await ann.request('send_message', { conversationId, content: 'draft' })).data.message.id;
    await ann.request('edit_message', { messageId: id, content: 'final' });
    const pinned = await ben.request('pin_message', { messageId: id, expiresAt: null });
    expect(pinned).toMatchObject({ type: 'pin_message_success', data: { pin: { messageId: id, pinnedBy: 'ben', expiresAt: null } } });
    expect((await ann.next('message_pinned')).data).toEqual({ conversationId, pin: pinned.data.pin });
    const listed = await ann.request('list_pins', { conversationId });
    expect(listed).toMatchObject({ type: 'pins_result', data: { conversationId, pins: [{ messageId: id }] } });
    const unpinned = await ann.request('unpin_message', { messageId: id });
    expect(unpinned).toMatchObject({ type: 'unpin_message_success', data: { messageId: id, conversationId, unpinned: true } });
    expect((await ben.next('message_unpinned')).data).toEqual({ conversationId, messageId: id, unpinnedBy: 'ann' });
    const history = await ben.request('get_message_history', { messageId: id });
    expect(history.type).toBe('message_history');
    expect(history.data).toMatchObject({ messageId: id, content: 'final', versions: [{ content: 'draft' }] });
    const bad = await ben.request('pin_message', { messageId: id, expiresAt: 42 });
    expect(bad.data).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'expiresAt' } });
  });

  it('typing start and stop are acknowledged; ping answers pong', async () => {
    expect((await ann.request('typing_start', { conversationId })).type).toBe('ack');
    expect((await ann.request('typing_stop', { conversationId })).type).toBe('ack');
    const pong = await ann.request('ping');
    expect(pong.type).toBe('pong');
    expect(Date.parse(pong.data.serverTime)).not.toBeNaN();
  });

  it('sync returns what was missed, per conversation, with errors named', async () => {
    const first = await ann.request('send_message', { conversationId, content: 'one' });
    await ann.request('send_message', { conversationId, content: 'two' });
    await ann.request('edit_message', { messageId: first.data.message.id, content: 'one!' });
    const result = await ben.request('sync', { since: { [conversationId]: 2, elsewhere: 0 } });
    expect(result.type).toBe('sync_result');
    const entry = result.data.conversations[conversationId];
    expect(entry.messages.map((m: { content: string }) => m.content)).toEqual(['two']);
    expect(entry.changes.map((m: { content: string }) => m.content)).toEqual(['one!']);
    expect(entry.hiddenIds).toEqual([]);
    expect(entry.lastSeq).toBe(3);
    expect(entry.hasMore).toBe(false);
    expect(result.data.errors.elsewhere.code).toBe('NOT_FOUND');
  });

  it('a failing request answers error with the code and field', async () => {
    const error = await ann.request('send_message', { conversationId, content: 'x'.repeat(10_001) });
    expect(error.type).toBe('error');
    expect(error.data.code).toBe('VALIDATION_FAILED');
    expect(error.data.details.field).toBe('content');
    // A send is validated once, by the service, which calls the id clientMessageId: the frame hears its own name.
    const badTemp = await ann.request('send_message', { conversationId, content: 'x', tempId: ' padded ' });
    expect(badTemp.data).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'tempId' } });
    expect(badTemp.data.message).toContain('tempId:');
    const bothIds = await ann.request('send_message', { conversationId, content: 'x', clientMessageId: 'c-1', tempId: 7 });
    expect(bothIds.data).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'tempId' } });
    const forbidden = await ben.request('edit_message', {
      messageId: (await ann.request('send_message', { conversationId, content: 'mine' })).data.message.id,
      content: 'theirs',
    });
    expect(forbidden.data.code).toBe('FORBIDDEN');
  });
});

describe('bad frames never close the connection', () => {
  it('malformed JSON, wrong shapes, unknown events and bad data get error frames', async () => {
    const raw = (text: string) => ann.ws.send(text);
    const errorsBefore = ann.count('error');
    raw('not json');
    raw('[1,2,3]');
    raw('null');
    raw(JSON.stringify({ type: 42 }));
    raw(JSON.stringify({ type: 'launch_missiles', id: 'x1' }));
    raw(JSON.stringify({ type: 'join_conversation', id: 'x2', data: { conversationId: 7 } }));
    raw(JSON.stringify({ type: 'send_message', id: 'x3', data: 'hello' }));
    raw(JSON.stringify({ type: 'sync', id: 'x4', data: { since: { a: -1 } } }));
    ann.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    const unknown = await ann.next('error', (f) => f.replyTo === 'x1');
    expect(unknown.data.details.field).toBe('type');
    expect((await ann.next('error', (f) => f.replyTo === 'x2')).data.details.field).toBe('conversationId');
    expect((await ann.next('error', (f) => f.replyTo === 'x3')).data.code).toBe('VALIDATION_FAILED');
    expect((await ann.next('error', (f) => f.replyTo === 'x4')).data.details.field).toBe('since.a');
    const pong = await ann.request('ping');
    expect(pong.type).toBe('pong');
    expect(ann.count('error') - errorsBefore).toBe(9);
    expect(ann.closeCode).toBeNull();
  });

  it('an oversized frame closes with 1009', async () => {
    await node.close();
    node = await startNode({ ws: { maxPayload: 4096 } });
    const client = await node.connect('ann');
    client.ws.send(JSON.stringify({ type: 'ping', data: { pad: 'x'.repeat(5000) } }));
    expect(await client.closed).toBe(1009);
  });

  it('frames past the rate limit get RATE_LIMITED; repeated abuse closes with 4429', async () => {
    for (let i = 0; i < 60; i++) ann.ws.send(JSON.stringify({ type: 'ping', id: `p${i}` }));
    const limited = await ann.request('ping');
    expect(limited.type).toBe('error');
    expect(limited.data.code).toBe('RATE_LIMITED');
    expect(limited.data.details.retryAfterMs).toBeGreaterThan(0);
    for (let i = 0; i < 80; i++) ann.ws.send(JSON.stringify({ type: 'ping' }));
    expect(await ann.closed).toBe(4429);
  });

  it('typing faster than 5 per 5 s is refused', async () => {
    for (let i = 0; i < 5; i++) expect((await ann.request('typing_start', { conversationId })).type).toBe('ack');
    const refused = await ann.request('typing_start', { conversationId });
    expect(refused.data.code).toBe('RATE_LIMITED');
  });
});
