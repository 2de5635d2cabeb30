import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalAttachmentStore } from '@parley/attachments-local';
import { createChatServices, createMemoryStore } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientError, type ParleyClient } from '../src/index.js';
import { connectClient, startServer, type TestServer } from './support/server.js';
import { waitFor } from '@parley/core/testing';

/** `client.upload()` over real sockets and real HTTP, into files on disk (Node: the fetch path). */
describe('uploads through the client', () => {
  const directory = mkdtempSync(join(tmpdir(), 'parley-client-uploads-'));
  let server: TestServer;
  const clients: ParleyClient[] = [];
  const client = async (user: string) => {
    const c = connectClient(server, user);
    clients.push(c);
    await waitFor(() => c.status === 'open', 3_000, `${user} open`);
    return c;
  };

  beforeAll(async () => {
    const storage = createLocalAttachmentStore({ directory, publicUrl: '/api/files', secret: 'client-uploads-test-secret-long-enough' });
    server = await startServer({ chat: createChatServices({ store: createMemoryStore(), attachments: { storage, purgeIntervalMs: 3_600_000 } }) });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('uploads a file with progress, sends it, and only members get a link that serves the same bytes', async () => {
    const { id } = await server.chat.conversations.createDirectConversation('alice', 'bob');
    const alice = await client('alice');
    const bob = await client('bob');
    const bytes = new TextEncoder().encode('a,b\n1,2\n'.repeat(1000));
    const progress: Array<[number, number]> = [];
    const attachment = await alice.upload(id, new Blob([bytes], { type: 'text/csv' }), { name: 'table.csv', onProgress: (sent, total) => progress.push([sent, total]) });
    expect(attachment).toMatchObject({ conversationId: id, uploaderId: 'alice', name: 'table.csv', size: bytes.length, status: 'complete' });
    expect(progress.at(-1)).toEqual([bytes.length, bytes.length]);

    const message = await alice.sendMessage({ conversationId: id, type: 'file', attachmentIds: [attachment.id] });
    expect(message.attachments).toEqual([expect.objectContaining({ id: attachment.id, name: 'table.csv', size: bytes.length })]);

    const link = await bob.getAttachment(attachment.id);
    expect(link).toMatchObject({ name: 'table.csv', size: bytes.length, inline: false });
    const download = await fetch(new URL(link.url, server.restUrl));
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);

    const mallory = await client('mallory');
    const refused = await mallory.getAttachment(attachment.id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ClientError);
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain((refused as ClientError).code);
  });

  it('a Blob without a name is refused before anything is reserved', async () => {
    const { id } = await server.chat.conversations.createDirectConversation('carol', 'dave');
    const carol = await client('carol');
    const error = await carol.upload(id, new Blob(['x'])).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'name' });
  });

  it('lists members with their roles', async () => {
    const { id } = await server.chat.conversations.createDirectConversation('erin', 'frank');
    const erin = await client('erin');
    const members = await erin.listMembers(id);
    expect(members.map((m) => m.userId).sort()).toEqual(['erin', 'frank']);
  });
});
