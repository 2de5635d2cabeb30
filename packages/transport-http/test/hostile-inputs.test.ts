import type { ChatServices } from '@parley/core';
import { completeSentMessage } from '@parley/core/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CORPUS, type HostileCase, type Place } from './hostile/corpus.js';
import { startApiServer, STORES, type ApiServer } from './stores.js';

/** Bearer tokens are the user id: the corpus is about input, not authentication. */
const authenticate = (token: string | null) => (token === null ? null : { id: token, name: token, status: 'active' });

interface Fixture {
  conversationId: string;
  messageId: string;
}

/** Where each place lives in a REST request. */
function restRequest(place: Place, value: unknown, f: Fixture): { method: string; path: string; body?: Record<string, unknown> } {
  const field = (name: string) => (value === undefined ? {} : { [name]: value });
  const send = (extra: Record<string, unknown>) => ({ method: 'POST', path: '/conversations/messages', body: { conversationId: f.conversationId, ...extra } });
  switch (place) {
    case 'content':
      return send(field('content'));
    case 'groupName':
      return { method: 'POST', path: '/conversations/group', body: field('name') };
    case 'avatarUrl':
      return { method: 'PUT', path: `/conversations/${f.conversationId}`, body: field('avatarUrl') };
    case 'attachmentUrl':
      return send({ type: 'image', content: 'x', attachments: [{ url: value, name: 'a.png', mimeType: 'image/png', size: 1 }] });
    case 'emoji':
      return { method: 'POST', path: `/conversations/messages/${f.messageId}/react`, body: field('emoji') };
    case 'clientMessageId':
      return send({ content: 'x', ...field('clientMessageId') });
    case 'metadata':
      return send({ content: 'x', ...field('metadata') });
    case 'memberIds':
      return { method: 'POST', path: `/conversations/${f.conversationId}/members`, body: { memberIds: [value] } };
    case 'search':
      return { method: 'GET', path: `/conversations/messages/search?q=${encodeURIComponent(String(value))}` };
    case 'limit':
      return { method: 'GET', path: `/conversations/${f.conversationId}/messages?limit=${encodeURIComponent(String(value))}` };
    case 'cursor':
      return { method: 'GET', path: `/conversations?cursor=${encodeURIComponent(String(value))}` };
    case 'historyOffset':
      return { method: 'GET', path: `/conversations/messages/${f.messageId}/history?offset=${encodeURIComponent(String(value))}` };
    case 'pinExpiry':
      return { method: 'POST', path: `/conversations/messages/${f.messageId}/pin`, body: field('expiresAt') };
    case 'since':
      return { method: 'GET', path: `/conversations/${f.conversationId}/changes?since=${encodeURIComponent(String(value))}` };
  }
}

/** Where each place lives in a WebSocket frame, for the places a frame has. */
function wsFrame(place: Place, value: unknown, f: Fixture): { type: string; data: Record<string, unknown>; field?: (field: string) => string } | null {
  const field = (name: string) => (value === undefined ? {} : { [name]: value });
  switch (place) {
    case 'content':
      return { type: 'send_message', data: { conversationId: f.conversationId, ...field('content') } };
    case 'attachmentUrl':
      return { type: 'send_message', data: { conversationId: f.conversationId, type: 'image', content: 'x', attachments: [{ url: value, name: 'a.png', mimeType: 'image/png', size: 1 }] } };
    case 'emoji':
      return { type: 'react_to_message', data: { messageId: f.messageId, ...field('emoji') } };
    case 'clientMessageId':
      return { type: 'send_message', data: { conversationId: f.conversationId, content: 'x', ...field('clientMessageId') } };
    case 'metadata':
      return { type: 'send_message', data: { conversationId: f.conversationId, content: 'x', ...field('metadata') } };
    case 'historyOffset':
      return { type: 'get_message_history', data: { messageId: f.messageId, offset: value } };
    case 'pinExpiry':
      return { type: 'pin_message', data: { messageId: f.messageId, ...field('expiresAt') } };
    case 'since':
      return { type: 'sync', data: { since: { [f.conversationId]: Number(value) } }, field: () => `since.${f.conversationId}` };
    default:
      return null;
  }
}

for (const [storeName, makeStore] of STORES) {
  describe(`hostile input on ${storeName}`, () => {
    let running: ApiServer | null = null;
    let chat: ChatServices;
    let base: string;
    let skipped = false;
    let n = 0;

    beforeAll(async () => {
      running = await startApiServer(makeStore, authenticate);
      if (running === null) {
        skipped = true;
        return;
      }
      ({ chat, base } = running);
    });
    afterAll(async () => {
      await running?.close();
    });

    const fixture = async (): Promise<Fixture> => {
      const group = await chat.conversations.createGroupConversation('ann', { name: `hostile ${(n += 1)}`, memberIds: ['ben'] });
      const message = await chat.messages.sendMessage('ann', { conversationId: group.id, content: 'target' });
      return { conversationId: group.id, messageId: message.id };
    };

    /** What the case stored, read back through the API the way a client would. */
    async function readBack(c: HostileCase, f: Fixture, answer: Record<string, any>): Promise<unknown> {
      const get = async (path: string) => (await (await fetch(`${base}${path}`, { headers: { authorization: 'Bearer ann' } })).json()) as any;
      switch (c.place) {
        case 'content':
          return (await get(`/conversations/messages/${answer.id}`)).content;
        case 'groupName':
          return (await get(`/conversations/${answer.id}`)).name;
        case 'avatarUrl':
          return (await get(`/conversations/${f.conversationId}`)).avatarUrl;
        case 'attachmentUrl':
          return (await get(`/conversations/messages/${answer.id}`)).attachments[0].url;
        case 'emoji':
          return (await get(`/conversations/messages/${f.messageId}`)).reactions.map((r: { emoji: string }) => r.emoji)[0];
        case 'clientMessageId':
          return (await get(`/conversations/messages/${answer.id}`)).clientMessageId;
        case 'metadata':
          return (await get(`/conversations/messages/${answer.id}`)).metadata;
        default:
          throw new Error(`nothing to read back for ${c.place}`);
      }
    }
    /** The value as the acknowledgement carried it. */
    const acknowledged = (c: HostileCase, answer: Record<string, any>) =>
      c.place === 'content' ? answer.content
      : c.place === 'groupName' ? answer.name
      : c.place === 'avatarUrl' ? answer.avatarUrl
      : c.place === 'attachmentUrl' ? answer.attachments[0].url
      : c.place === 'emoji' ? answer.emoji
      : c.place === 'clientMessageId' ? answer.clientMessageId
      : answer.metadata;

    for (const c of CORPUS) {
      it(`REST: ${c.place} — ${c.name} → ${c.outcome}`, async () => {
        if (skipped) return;
        const f = await fixture();
        const { method, path, body } = restRequest(c.place, c.value, f);
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { authorization: 'Bearer ann', 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const json = (await res.json()) as Record<string, any>;
        if (c.outcome === 'refused') {
          expect(res.status, JSON.stringify(json)).toBe(400);
          expect(json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: c.field } });
          return;
        }
        expect(res.status, JSON.stringify(json)).toBeLessThan(300);
        if (c.outcome === 'answered') {
          expect(Array.isArray(json.items)).toBe(true);
          return;
        }
        expect(acknowledged(c, json)).toEqual(c.value);
        expect(await readBack(c, f, json)).toEqual(c.value);
      });

      it(`WebSocket: ${c.place} — ${c.name} → ${c.outcome}`, async () => {
        if (skipped) return;
        const f = await fixture();
        const frame = wsFrame(c.place, c.value, f);
        if (frame === null) return; // no WebSocket event takes this place
        const ws = new WebSocket(`${base.replace('http', 'ws')}/chat?token=ann`);
        try {
          const reply = await new Promise<{ type: string; data: Record<string, any> }>((resolve, reject) => {
            ws.on('message', (raw) => {
              const parsed = JSON.parse(raw.toString()) as { type: string; replyTo?: string };
              if (parsed.type === 'connected') ws.send(JSON.stringify({ type: frame.type, id: 'q', data: frame.data }));
              if (parsed.replyTo === 'q') resolve(parsed as never);
            });
            ws.on('error', reject);
          });
          if (c.outcome === 'refused') {
            expect(reply.type, JSON.stringify(reply.data)).toBe('error');
            expect(reply.data).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: frame.field?.(c.field!) ?? c.field } });
            return;
          }
          expect(reply.type, JSON.stringify(reply.data)).not.toBe('error');
          if (c.outcome === 'answered') return;
          // message_sent leaves out what the sender sent unchanged: complete it from the send, as a client does.
          const sent = frame.data as Record<string, any>;
          const answer = (
            reply.type === 'message_sent'
              ? completeSentMessage(reply.data.message, { ...sent, conversationId: sent.conversationId, senderId: 'ann', clientMessageId: sent.clientMessageId ?? sent.tempId ?? null })
              : (reply.data.message ?? reply.data)
          ) as Record<string, any>;
          expect(acknowledged(c, c.place === 'emoji' ? { emoji: c.value } : answer)).toEqual(c.value);
          expect(await readBack(c, f, answer)).toEqual(c.value);
        } finally {
          ws.close();
        }
      });
    }

    it('oversize and deeply nested bodies and frames are refused without harm', async () => {
      if (skipped) return;
      const post = (body: string) =>
        fetch(`${base}/conversations/messages`, { method: 'POST', headers: { authorization: 'Bearer ann', 'content-type': 'application/json' }, body });
      const huge = await post(JSON.stringify({ content: 'x'.repeat(2 * 1024 * 1024) }));
      expect(huge.status).toBe(413);
      expect(((await huge.json()) as any).error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { field: 'body' } });
      const deep = await post('['.repeat(200_000) + ']'.repeat(200_000));
      expect(deep.status).toBe(400);
      expect(((await deep.json()) as any).error.details.field).toBe('body');

      const ws = new WebSocket(`${base.replace('http', 'ws')}/chat?token=ann`);
      const frames: any[] = [];
      ws.on('message', (raw) => frames.push(JSON.parse(raw.toString())));
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send(`{"type":"ping","id":"deep","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
      await expect.poll(() => frames.find((x) => x.replyTo === 'deep')?.data.code).toBe('VALIDATION_FAILED');
      const closed = new Promise<number>((resolve) => ws.once('close', resolve));
      ws.send('x'.repeat(1024 * 1024 + 1));
      expect(await closed).toBe(1009);
      expect((await fetch(`${base}/health`)).status).toBe(200);
    });
  });
}
