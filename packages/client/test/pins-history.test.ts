import { waitFor } from '@parley/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientError, type ParleyClient } from '../src/index.js';
import { connectClient, recordingLogger, startServer, type TestServer } from './support/server.js';

describe('pins and edit history in the client', () => {
  let server: TestServer;
  const clients: ParleyClient[] = [];
  const open = async (userId: string) => {
    const client = connectClient(server, userId, { logger: recordingLogger() });
    clients.push(client);
    await waitFor(() => client.status === 'open', 3_000, `${userId} open`);
    return client;
  };

  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.close();
  });

  it('keeps a loaded conversation’s pins live: pins, edits, unpins, deletes and expiry from anyone', async () => {
    const group = await server.chat.conversations.createGroupConversation('alice', { name: 'G', memberIds: ['bob'] });
    const [alice, bob] = [await open('alice'), await open('bob')];
    const first = await alice.sendMessage({ conversationId: group.id, content: 'first' });
    const second = await alice.sendMessage({ conversationId: group.id, content: 'second' });
    expect(await bob.loadPins(group.id)).toEqual([]);
    expect(alice.getState().pins[group.id]).toBeUndefined();

    const pin = await alice.pinMessage(first.id);
    expect(pin).toMatchObject({ messageId: first.id, pinnedBy: 'alice', expiresAt: null });
    await waitFor(() => bob.getState().pins[group.id]?.length === 1, 3_000, 'bob hears the pin');
    expect(alice.getState().pins[group.id], 'not loaded by alice: nothing held').toBeUndefined();

    await alice.editMessage(first.id, 'first, edited');
    await waitFor(() => bob.getState().pins[group.id]?.[0]?.message.content === 'first, edited', 3_000, 'the pin shows the edit');

    const soon = new Date(Date.now() + 2_000).toISOString();
    await bob.pinMessage(second.id, { expiresAt: soon });
    expect(bob.getState().pins[group.id]!.map((p) => p.messageId)).toEqual([second.id, first.id]);
    await waitFor(() => bob.getState().pins[group.id]?.length === 1, 3_000, 'the expired pin leaves the state by itself');
    expect(bob.getState().pins[group.id]![0]!.messageId).toBe(first.id);

    await alice.deleteMessage(first.id, { forEveryone: true });
    await waitFor(() => bob.getState().pins[group.id]?.length === 0, 3_000, 'a delete for everyone unpins');

    const third = await alice.sendMessage({ conversationId: group.id, content: 'third' });
    await alice.pinMessage(third.id);
    await waitFor(() => bob.getState().pins[group.id]?.length === 1, 3_000, 'pinned again');
    expect(await alice.unpinMessage(third.id)).toMatchObject({ unpinned: true });
    await waitFor(() => bob.getState().pins[group.id]?.length === 0, 3_000, 'unpinned by alice');
    expect(await alice.listPins(group.id)).toEqual([]);
    const refused = await alice.pinMessage(first.id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ClientError);
    expect(refused).toMatchObject({ code: 'CONFLICT' });
  });

  it('reloads the pins it holds after a reconnect (pins are not part of catch-up)', async () => {
    const group = await server.chat.conversations.createGroupConversation('alice', { name: 'G', memberIds: ['bob'] });
    const bob = await open('bob');
    const message = await server.chat.messages.sendMessage('alice', { conversationId: group.id, content: 'pin me while bob is away' });
    await bob.loadPins(group.id);
    server.killSockets('bob');
    await waitFor(() => bob.status !== 'open', 3_000, 'bob cut off');
    await server.chat.pins.pinMessage(message.id, 'alice');
    await waitFor(() => bob.status === 'open', 10_000, 'bob back');
    await waitFor(() => bob.getState().pins[group.id]?.length === 1, 3_000, 'the pin made while away');
  }, 20_000);

  it('fetches a message’s edit history', async () => {
    const group = await server.chat.conversations.createGroupConversation('alice', { name: 'G', memberIds: ['bob'] });
    const [alice, bob] = [await open('alice'), await open('bob')];
    const message = await alice.sendMessage({ conversationId: group.id, content: 'one' });
    await alice.editMessage(message.id, 'two');
    await alice.editMessage(message.id, 'three');
    const history = await bob.getMessageHistory(message.id);
    expect(history).toMatchObject({ messageId: message.id, content: 'three' });
    expect(history.versions.map((v) => v.content)).toEqual(['one', 'two']);
    expect(await bob.getMessageHistory('missing').catch((e: unknown) => (e as ClientError).code)).toBe('NOT_FOUND');
  });
});
