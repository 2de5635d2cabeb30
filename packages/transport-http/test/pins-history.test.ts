import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { STORES, useApiServer } from './stores.js';

/** Bearer tokens are the user id. */
const authenticate = (token: string | null) => (token === null ? null : { id: token, name: token, status: 'active' });

type Frame = { type: string; data: any; replyTo?: string };

/** A WebSocket that records every frame and answers requests by id. */
async function socket(base: string, user: string) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/chat?token=${user}`);
  const frames: Frame[] = [];
  ws.on('message', (raw) => frames.push(JSON.parse(raw.toString()) as Frame));
  await expect.poll(() => frames.some((f) => f.type === 'connected')).toBe(true);
  let n = 0;
  return {
    frames,
    of: (type: string) => frames.filter((f) => f.type === type),
    async request(type: string, data: unknown): Promise<Frame> {
      const id = `q${(n += 1)}`;
      ws.send(JSON.stringify({ type, id, data }));
      await expect.poll(() => frames.some((f) => f.replyTo === id)).toBe(true);
      return frames.find((f) => f.replyTo === id)!;
    },
    close: () => ws.close(),
  };
}

/** Pins and edit history over REST and WebSocket on real sockets, on every store (issue 14). */
for (const [storeName, makeStore] of STORES) {
  describe(`pins and edit history over REST and WebSocket on ${storeName}`, () => {
    const server = useApiServer(makeStore, authenticate);
    const { api } = server;
    let n = 0;

    /** A group of ann (owner), ben and cat, with dan outside it; users unique to the case. */
    const fixture = async () => {
      const run = `${storeName}${(n += 1)}`;
      const [ann, ben, cat, dan] = ['ann', 'ben', 'cat', 'dan'].map((u) => `${u}-${run}`) as [string, string, string, string];
      const group = await server.chat.conversations.createGroupConversation(ann, { name: 'pins', memberIds: [ben, cat] });
      return { ann, ben, cat, dan, id: group.id };
    };

    it('a pin over REST reaches every member socket; list and unpin over either', async () => {
      if (server.skipped) return;
      const { ann, ben, cat, dan, id } = await fixture();
      const [annWs, catWs, danWs] = await Promise.all([socket(server.base, ann), socket(server.base, cat), socket(server.base, dan)]);
      try {
        const message = await server.chat.messages.sendMessage(ben, { conversationId: id, content: 'the plan' });
        const pinned = await api(ben, 'POST', `/conversations/messages/${message.id}/pin`, {});
        expect(pinned.status).toBe(200);
        expect(pinned.json).toMatchObject({ conversationId: id, messageId: message.id, pinnedBy: ben, expiresAt: null, message: { content: 'the plan' } });
        for (const ws of [annWs, catWs]) {
          await expect.poll(() => ws.of('message_pinned').length).toBe(1);
          expect(ws.of('message_pinned')[0]!.data).toEqual({ conversationId: id, pin: pinned.json });
        }
        const listed = await catWs.request('list_pins', { conversationId: id });
        expect(listed).toMatchObject({ type: 'pins_result', data: { conversationId: id, pins: [{ messageId: message.id, pinnedBy: ben }] } });
        expect((await api(ann, 'GET', `/conversations/${id}/pins`)).json).toEqual(listed.data);

        const unpinned = await annWs.request('unpin_message', { messageId: message.id });
        expect(unpinned).toMatchObject({ type: 'unpin_message_success', data: { messageId: message.id, conversationId: id, unpinned: true } });
        await expect.poll(() => catWs.of('message_unpinned').map((f) => f.data)).toEqual([{ conversationId: id, messageId: message.id, unpinnedBy: ann }]);
        expect((await api(ann, 'DELETE', `/conversations/messages/${message.id}/pin`)).json.unpinned).toBe(false);
        expect((await api(ann, 'GET', `/conversations/${id}/pins`)).json.pins).toEqual([]);
        // Outside the conversation: nothing heard, nothing listed.
        expect(danWs.of('message_pinned')).toEqual([]);
        expect(danWs.of('message_unpinned')).toEqual([]);
        expect((await api(dan, 'GET', `/conversations/${id}/pins`)).status).toBe(404);
        expect((await danWs.request('pin_message', { messageId: message.id })).data.code).toBe('NOT_FOUND');
      } finally {
        for (const ws of [annWs, catWs, danWs]) ws.close();
      }
    });

    it('pins with an expiry, the cap as 409, and a delete for everyone unpinning', async () => {
      if (server.skipped) return;
      const { ann, ben, id } = await fixture();
      const benWs = await socket(server.base, ben);
      try {
        const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
        const first = await server.chat.messages.sendMessage(ann, { conversationId: id, content: 'first' });
        const reply = await benWs.request('pin_message', { messageId: first.id, expiresAt });
        expect(reply).toMatchObject({ type: 'pin_message_success', data: { pin: { messageId: first.id, expiresAt, pinnedBy: ben } } });
        const past = await api(ann, 'POST', `/conversations/messages/${first.id}/pin`, { expiresAt: '2001-01-01T00:00:00Z' });
        expect(past.status).toBe(400);
        expect(past.json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'expiresAt' } });

        for (let i = 0; i < 49; i++) {
          const m = await server.chat.messages.sendMessage(ann, { conversationId: id, content: `m${i}` });
          await server.chat.pins.pinMessage(m.id, ann);
        }
        const extra = await server.chat.messages.sendMessage(ann, { conversationId: id, content: 'one too many' });
        const full = await api(ben, 'POST', `/conversations/messages/${extra.id}/pin`);
        expect(full.status).toBe(409);
        expect(full.json.error).toMatchObject({ code: 'CONFLICT', details: { field: 'messageId', limit: 50 } });
        expect((await benWs.request('pin_message', { messageId: extra.id })).data).toMatchObject({ code: 'CONFLICT' });

        const deleted = await api(ann, 'DELETE', `/conversations/messages/${first.id}?forEveryone=true`);
        expect(deleted.status).toBe(200);
        await expect.poll(() => benWs.of('message_deleted').map((f) => f.data.messageId)).toEqual([first.id]);
        const pins = (await api(ben, 'GET', `/conversations/${id}/pins`)).json.pins as Array<{ messageId: string }>;
        expect(pins).toHaveLength(49);
        expect(pins.map((p) => p.messageId)).not.toContain(first.id);
        expect((await api(ben, 'POST', `/conversations/messages/${extra.id}/pin`)).status).toBe(200);
        expect((await api(ben, 'POST', `/conversations/messages/${first.id}/pin`)).status).toBe(409);
      } finally {
        benWs.close();
      }
    });

    it('edit history over REST and WebSocket, cleared by a delete for everyone', async () => {
      if (server.skipped) return;
      const { ann, ben, dan, id } = await fixture();
      const benWs = await socket(server.base, ben);
      try {
        const message = await server.chat.messages.sendMessage(ann, { conversationId: id, content: 'v1' });
        await api(ann, 'PUT', `/conversations/messages/${message.id}`, { content: 'v2' });
        const annWs = await socket(server.base, ann);
        await annWs.request('edit_message', { messageId: message.id, content: 'v3' });
        annWs.close();
        const rest = await api(ben, 'GET', `/conversations/messages/${message.id}/history`);
        expect(rest.status).toBe(200);
        expect(rest.json).toMatchObject({ messageId: message.id, conversationId: id, content: 'v3' });
        expect(rest.json.versions.map((v: { content: string }) => v.content)).toEqual(['v1', 'v2']);
        const ws = await benWs.request('get_message_history', { messageId: message.id });
        expect(ws).toMatchObject({ type: 'message_history', data: rest.json });
        expect((await api(dan, 'GET', `/conversations/messages/${message.id}/history`)).status).toBe(404);
        const search = await api(ben, 'GET', `/conversations/messages/search?q=v1&conversationId=${id}`);
        expect(search.json.total).toBe(0);

        await api(ann, 'DELETE', `/conversations/messages/${message.id}?forEveryone=true`);
        expect((await benWs.request('get_message_history', { messageId: message.id })).data).toMatchObject({ content: null, versions: [] });
        expect((await benWs.request('get_message_history', { messageId: '  spaced' })).data).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'messageId' } });
      } finally {
        benWs.close();
      }
    });
  });
}
