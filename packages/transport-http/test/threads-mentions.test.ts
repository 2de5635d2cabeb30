import type { Authenticate } from '@parley/core';
import { waitFor } from '@parley/core/testing';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { STORES, useApiServer } from './stores.js';

/** `tok-<id>` is user <id>. */
const authenticate: Authenticate = (token) => (token?.startsWith('tok-') ? { id: token.slice(4), name: token.slice(4), status: 'active' } : null);

/** Threads and mentions over REST on every store, with a WebSocket listening for what REST raises. */
for (const [storeName, makeStore] of STORES) {
  describe(`threads and mentions over REST on ${storeName}`, () => {
    const server = useApiServer(makeStore, authenticate);
    let n = 0;

    /** A REST call as `user` (token `tok-<user>`), answering the status and the JSON body. */
    async function api(user: string, method: string, path: string, body?: unknown) {
      const { status, json } = await server.api(`tok-${user}`, method, path, body);
      return { status, body: json };
    }

    async function listen(user: string): Promise<{ frames: Array<{ type: string; data: any }>; close(): void }> {
      const socket = new WebSocket(`${server.base.replace('http', 'ws')}/chat?token=tok-${user}`);
      const frames: Array<{ type: string; data: any }> = [];
      socket.on('message', (data) => frames.push(JSON.parse(String(data))));
      await waitFor(() => frames.some((f) => f.type === 'connected'), 3_000, 'connected');
      return { frames, close: () => socket.close() };
    }

    it('a thread: reply, page, read position, followed threads; the timeline keeps out thread-only replies', async (ctx) => {
      if (server.skipped) return ctx.skip();
      const [ann, ben, cat] = ['ann', 'ben', 'cat'].map((u) => `${u}-${storeName}${(n += 1)}`) as [string, string, string];
      const group = await server.chat.conversations.createGroupConversation(ann, { name: 'g', memberIds: [ben, cat] });
      const root = (await api(ann, 'POST', '/conversations/messages', { conversationId: group.id, content: 'root' })).body;
      const annSocket = await listen(ann);
      try {
        const replies: Array<Record<string, any>> = [];
        for (let i = 1; i <= 4; i++) {
          const res = await api(i % 2 === 0 ? cat : ben, 'POST', '/conversations/messages', { conversationId: group.id, content: `r${i}`, threadId: root.id });
          expect(res.status).toBe(201);
          replies.push(res.body);
        }
        const also = await api(ben, 'POST', '/conversations/messages', { conversationId: group.id, content: 'shown', threadId: root.id, alsoToConversation: true });
        expect(also.body).toMatchObject({ threadId: root.id, alsoToConversation: true });
        // REST raises the same events: ann hears new_message with the root's summary, and her thread count.
        await waitFor(() => annSocket.frames.some((f) => f.type === 'new_message' && f.data.message.id === also.body.id), 3_000, 'new_message');
        expect(annSocket.frames.find((f) => f.type === 'new_message' && f.data.message.id === also.body.id)!.data.thread).toMatchObject({ replyCount: 5, participantIds: [ben, cat] });
        await waitFor(() => annSocket.frames.some((f) => f.type === 'thread_unread_changed' && f.data.unreadCount === 5), 3_000, 'thread unread 5');

        const page = await api(cat, 'GET', `/conversations/messages/${root.id}/thread?limit=2`);
        expect(page.status).toBe(200);
        expect(page.body.root.thread).toMatchObject({ replyCount: 5 });
        expect(page.body.messages.map((m: { content: string }) => m.content)).toEqual(['r4', 'shown']);
        const first = await api(cat, 'GET', `/conversations/messages/${root.id}/thread?after=0&limit=2`);
        expect(first.body.messages.map((m: { content: string }) => m.content)).toEqual(['r1', 'r2']);
        expect(first.body.hasMoreAfter).toBe(true);

        const timeline = await api(cat, 'GET', `/conversations/${group.id}/messages`);
        expect(timeline.body.messages.filter((m: { type: string }) => m.type !== 'system').map((m: { content: string }) => m.content)).toEqual(['root', 'shown']);

        const read = await api(ann, 'POST', `/conversations/messages/${root.id}/thread/read`, { messageId: replies[1]!.id });
        expect(read).toMatchObject({ status: 200, body: { threadId: root.id, conversationId: group.id, markedCount: 2, unreadCount: 3, lastReadSeq: replies[1]!.seq } });
        await waitFor(() => annSocket.frames.some((f) => f.type === 'thread_unread_changed' && f.data.unreadCount === 3), 3_000, 'thread unread 3');
        const followed = await api(ann, 'GET', `/conversations/${group.id}/threads`);
        expect(followed.body).toEqual({ conversationId: group.id, threads: [{ conversationId: group.id, threadId: root.id, userId: ann, lastReadSeq: replies[1]!.seq, unreadCount: 3 }] });

        expect(await api(ben, 'POST', '/conversations/messages', { conversationId: group.id, content: 'x', threadId: replies[0]!.id })).toMatchObject({
          status: 400,
          body: { error: { code: 'VALIDATION_FAILED', details: { field: 'threadId' } } },
        });
        expect((await api('stranger', 'GET', `/conversations/messages/${root.id}/thread`)).status).toBe(404);
        expect((await api(ann, 'GET', `/conversations/messages/${root.id}/thread?limit=500`)).body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      } finally {
        annSocket.close();
      }
    });

    it('mentions: validated, counted in the conversation list and in unread_changed', async (ctx) => {
      if (server.skipped) return ctx.skip();
      const [ann, ben] = ['ann', 'ben'].map((u) => `${u}-${storeName}${(n += 1)}`) as [string, string];
      const group = await server.chat.conversations.createGroupConversation(ann, { name: 'g', memberIds: [ben] });
      await api(ben, 'POST', '/conversations/messages/read', { conversationId: group.id });
      const benSocket = await listen(ben);
      try {
        const sent = await api(ann, 'POST', '/conversations/messages', { conversationId: group.id, content: '@ben', mentions: [ben, ben] });
        expect(sent.body.mentions).toEqual([ben]);
        await waitFor(() => benSocket.frames.some((f) => f.type === 'unread_changed' && f.data.mentionCount === 1), 3_000, 'mention count pushed');
        const list = await api(ben, 'GET', '/conversations');
        expect(list.body.items.find((c: { id: string }) => c.id === group.id)).toMatchObject({ unreadCount: 1, mentionCount: 1 });
        expect((await api(ben, 'GET', `/conversations/${group.id}`)).body).toMatchObject({ mentionCount: 1 });
        expect(await api(ann, 'POST', '/conversations/messages', { conversationId: group.id, content: 'x', mentions: ['nobody'] })).toMatchObject({
          status: 400,
          body: { error: { code: 'VALIDATION_FAILED', details: { field: 'mentions', userIds: ['nobody'] } } },
        });
        expect((await api(ben, 'POST', '/conversations/messages', { conversationId: group.id, content: 'x', mentionEveryone: true })).status).toBe(403);
        await api(ben, 'POST', '/conversations/messages/read', { conversationId: group.id });
        expect((await api(ben, 'GET', `/conversations/${group.id}`)).body).toMatchObject({ unreadCount: 0, mentionCount: 0 });
      } finally {
        benSocket.close();
      }
    });
  });
}
