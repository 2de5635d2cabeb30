import { waitFor } from '@parley/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientError, type ParleyClient } from '../src/index.js';
import { connectClient, recordingLogger, startServer, type TestServer } from './support/server.js';

describe('requests and replies', () => {
  let server: TestServer;
  const clients: ParleyClient[] = [];
  const open = (userId: string, logger = recordingLogger()) => {
    const client = connectClient(server, userId, { logger });
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.close();
  });

  it('settles each request by its own reply, even when many are in flight', async () => {
    const group = await server.chat.conversations.createGroupConversation('alice', { name: 'G', memberIds: ['bob'] });
    const alice = open('alice');
    await waitFor(() => alice.status === 'open', 3_000, 'open');
    const [pong, joined, read] = await Promise.all([alice.ping(), alice.joinConversation(group.id), alice.markAsRead(group.id)]);
    expect(pong.serverTime).toMatch(/T/);
    expect(joined).toMatchObject({ conversationId: group.id, typingUserIds: [] });
    expect(read).toEqual({ markedCount: 0, lastReadSeq: expect.any(Number) });
    const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => alice.sendMessage({ conversationId: group.id, content: `m${i}` })));
    expect(sent.map((m) => m.content)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(sent.map((m) => m.seq)).toEqual([...sent.map((m) => m.seq)].sort((a, b) => a - b));
  });

  it('rejects with a ClientError carrying the server code, message and details', async () => {
    const alice = open('alice');
    await waitFor(() => alice.status === 'open', 3_000, 'open');
    const error = await alice.markAsRead('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'NOT_FOUND', field: 'conversationId' });
    const bad = await alice.request('edit_message', { messageId: ' x', content: 'y' }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: expect.stringContaining('messageId') } });
  });

  it('moderates through typed methods: slow mode, mute, report, resolve with a ban, audit, blocks', async () => {
    const group = await server.chat.conversations.createGroupConversation('alice', { name: 'G', memberIds: ['bob', 'carol'] });
    const alice = open('alice');
    const bob = open('bob');
    const carol = open('carol');
    await waitFor(() => alice.status === 'open' && bob.status === 'open' && carol.status === 'open', 3_000, 'open');
    expect(await alice.setSlowMode(group.id, 20)).toEqual({ conversationId: group.id, slowModeSeconds: 20 });
    await bob.sendMessage({ conversationId: group.id, content: 'first' });
    const slow = await bob.request('send_message', { conversationId: group.id, content: 'second' }).catch((e: unknown) => e);
    expect(slow).toMatchObject({ code: 'RATE_LIMITED', details: { slowModeSeconds: 20 } });
    await alice.setSlowMode(group.id, 0);
    expect((await alice.muteMember(group.id, 'carol')).silencedUntil).not.toBeNull();
    await expect(carol.request('send_message', { conversationId: group.id, content: 'muted' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await alice.unmuteMember(group.id, 'carol')).silencedUntil).toBeNull();
    const spam = await bob.sendMessage({ conversationId: group.id, content: 'spam' });
    const report = await carol.reportMessage(spam.id, 'spam', 'twice today');
    expect((await alice.listReports(group.id, { status: 'open' })).items.map((r) => r.id)).toEqual([report.id]);
    await expect(carol.listReports(group.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const [resolved] = await alice.resolveReport(report.id, 'ban');
    expect(resolved).toMatchObject({ resolution: 'banned', resolvedBy: 'alice' });
    expect((await alice.listBans(group.id)).map((b) => b.userId)).toEqual(['bob']);
    const log = await alice.getAuditLog(group.id, { limit: 3 });
    expect(log.items.map((e) => e.action)).toEqual(['report_resolved', 'member_banned', 'message_deleted']);
    await alice.unbanMember(group.id, 'bob');
    expect(await alice.listBans(group.id)).toEqual([]);
    expect(await carol.blockUser('bob')).toEqual({ userId: 'bob', blocked: true });
    expect(await carol.listBlocked()).toEqual(['bob']);
    expect(await carol.unblockUser('bob')).toEqual({ userId: 'bob', blocked: false });
  });

  it('rejects at once with DISCONNECTED when not connected', async () => {
    const alice = open('alice');
    alice.close();
    await expect(alice.ping()).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('raises typed events and keeps the state a UI renders', async () => {
    const group = await server.chat.conversations.createGroupConversation('alice', { name: 'G', memberIds: ['bob'] });
    const logger = recordingLogger();
    const alice = open('alice', logger);
    const bob = open('bob');
    await waitFor(() => alice.status === 'open' && bob.status === 'open', 3_000, 'open');
    await alice.openConversation(group.id);
    const seen: string[] = [];
    alice.on('new_message', ({ message }) => seen.push(message.content ?? ''));
    const snapshots = new Set([alice.getState()]);
    alice.subscribe(() => snapshots.add(alice.getState()));
    await bob.sendMessage({ conversationId: group.id, content: 'hello' });
    await waitFor(() => seen.length === 1 && alice.getState().conversations[group.id]?.unreadCount === 1, 3_000, 'message and unread count');
    const state = alice.getState();
    expect(state.windows[group.id]!.messages.map((m) => m.content)).toContain('hello');
    expect(state.conversations[group.id]!.lastMessage?.content).toBe('hello');
    expect(state.totalUnread).toBe(1);
    expect(snapshots.size).toBeGreaterThan(2);
    await alice.markAsRead(group.id);
    await waitFor(() => alice.getState().conversations[group.id]?.unreadCount === 0 && alice.getState().totalUnread === 0, 3_000, 'read');
    expect(logger.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });
});
