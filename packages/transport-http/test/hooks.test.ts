import { createWordFilter, reject } from '@parley/core';
import { describe, expect, it } from 'vitest';
import { STORES, useApiServer } from './stores.js';
import { connect } from './ws-frames.js';

const authenticate = (token: string | null) => (token === null ? null : { id: token, name: token, status: 'active' });
type Json = Record<string, any>;

const filter = createWordFilter({ words: ['darn'], action: 'mask' });

/**
 * The host's hooks seen from a client, on both transports and every store: a refusal is an
 * `error` frame / HTTP error with the hook's code, message and field, the connection stays
 * usable, and a rewrite is what every member receives.
 */
for (const [storeName, makeStore] of STORES) {
  describe(`hooks over REST and WebSocket on ${storeName}`, () => {
    const server = useApiServer(makeStore, authenticate, () => ({
      hooks: {
        timeoutMs: 100,
        beforeSend: [
          ({ draft }) => {
            if (draft.content?.includes('http')) throw reject('No links, please', { field: 'content' });
            if (draft.content === 'host bug') throw new TypeError('undefined is not a function');
          },
          filter.beforeSend,
        ],
        beforeEdit: filter.beforeEdit,
        beforeJoin: ({ userId }) => {
          if (userId.startsWith('lurker')) throw reject('Lurkers may not join the room');
        },
      },
    }));
    const { api } = server;
    let n = 0;

    it('WebSocket: a refusal reaches the sender with its code and message, a mask reaches everyone', async () => {
      if (server.skipped) return;
      const k = (n += 1);
      const [ann, ben, lurker] = [`ann${k}`, `ben${k}`, `lurker${k}`];
      const id = (await server.chat.conversations.createGroupConversation(ann, { name: 'hooks', memberIds: [ben, lurker] })).id;
      const annSocket = await connect(server.base, ann);
      const benSocket = await connect(server.base, ben);
      const lurkerSocket = await connect(server.base, lurker);
      try {
        const refused = await annSocket.request('send_message', { conversationId: id, content: 'see http://x.example', tempId: 'r1' });
        expect(refused).toMatchObject({ type: 'error', data: { code: 'FORBIDDEN', message: 'No links, please', details: { field: 'content' } } });
        const crashed = await annSocket.request('send_message', { conversationId: id, content: 'host bug', tempId: 'r2' });
        expect(crashed).toMatchObject({ type: 'error', data: { code: 'UNAVAILABLE' } });
        expect((await annSocket.request('ping', {})).type).toBe('pong');

        const sent = await annSocket.request('send_message', { conversationId: id, content: 'well darn', tempId: 'm1' });
        expect(sent).toMatchObject({ type: 'message_sent', data: { message: { content: 'well ****', seq: 2 } } });
        const heard = await benSocket.next((f) => f.type === 'new_message' && f.data.message.id === sent.data.message.id);
        expect(heard.data.message.content).toBe('well ****');

        const edited = await annSocket.request('edit_message', { messageId: sent.data.message.id, content: 'darn darn' });
        expect(edited).toMatchObject({ type: 'message_edit_success', data: { message: { content: '**** ****' } } });

        const joined = await lurkerSocket.request('join_conversation', { conversationId: id });
        expect(joined).toMatchObject({ type: 'error', data: { code: 'FORBIDDEN', message: 'Lurkers may not join the room' } });
        expect((await benSocket.request('join_conversation', { conversationId: id })).type).toBe('joined_conversation');
      } finally {
        annSocket.close();
        benSocket.close();
        lurkerSocket.close();
      }
    });

    it('REST: the same refusal, rewrite and edit', async () => {
      if (server.skipped) return;
      const k = (n += 1);
      const [ann, ben] = [`ann${k}`, `ben${k}`];
      const direct = (await api(ann, 'POST', '/conversations/direct', { recipientId: ben })).json;
      const refused = await api(ann, 'POST', '/conversations/messages', { conversationId: direct.id, content: 'https://spam.example' });
      expect(refused.status).toBe(403);
      expect(refused.json.error).toMatchObject({ code: 'FORBIDDEN', message: 'No links, please', details: { field: 'content' } });
      const sent = await api(ann, 'POST', '/conversations/messages', { conversationId: direct.id, content: 'Darn.' });
      expect(sent.status).toBe(201);
      expect(sent.json.content).toBe('****.');
      expect(sent.json.seq).toBe(1);
      const edited = await api(ann, 'PUT', `/conversations/messages/${sent.json.id}`, { content: 'oh DARN' });
      expect(edited.json.content).toBe('oh ****');
      const page = await api(ben, 'GET', `/conversations/${direct.id}/messages`);
      expect(page.json.messages.map((m: Json) => m.content)).toEqual(['oh ****']);
    });
  });
}
