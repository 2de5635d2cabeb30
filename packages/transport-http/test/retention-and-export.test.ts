import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatServices, UserExportLine } from '@parley/core';
import { connect } from './ws-frames.js';
import { startApiServer, STORES, type ApiServer } from './stores.js';

/** Bearer tokens are the user id: these tests are about the data routes, not authentication. */
const authenticate = (token: string | null) => (token === null ? null : { id: token, name: token, status: 'active' });
type Json = Record<string, any>;

for (const [storeName, makeStore] of STORES) {
  describe(`retention, export and erase over REST and WebSocket, on ${storeName}`, () => {
    let running: ApiServer | null = null;
    let chat: ChatServices;
    let base = '';
    let skipped = false;
    // The services' clock runs ahead of the real one when a test moves it.
    let skew = 0;
    let n = 0;

    beforeAll(async () => {
      running = await startApiServer(makeStore, authenticate, { now: () => Date.now() + skew, retention: { intervalMs: 3_600_000 } });
      if (running === null) {
        skipped = true;
        return;
      }
      ({ chat, base } = running);
    });
    afterAll(async () => {
      await running?.close();
    });

    const exportOf = async (user: string) => {
      const res = await fetch(`${base}/me/export`, { headers: { authorization: `Bearer ${user}` } });
      const text = await res.text();
      return { res, text, lines: text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as UserExportLine) };
    };

    it('GET /me/export streams the caller’s data as NDJSON, page after page, and only theirs', async () => {
      if (skipped) return;
      const me = `exp-${(n += 1)}`;
      const id = (await chat.conversations.createGroupConversation(me, { name: 'export', memberIds: ['other'] })).id;
      // More than one page of the store (500) so the keyset paging is crossed.
      const sent = await Promise.all(Array.from({ length: 620 }, (_, i) => chat.messages.sendMessage(me, { conversationId: id, content: `line ${i}` })));
      await chat.messages.sendMessage('other', { conversationId: id, content: 'not mine' });
      await chat.messages.reactToMessage(sent[0]!.id, me, '🎉');
      const { res, lines } = await exportOf(me);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="parley-export-${me}.ndjson"`);
      expect(lines[0]).toMatchObject({ type: 'export', userId: me, format: 1 });
      // 620 texts and the group's "created" system message, which the creator sent.
      expect(lines.at(-1)).toEqual({ type: 'end', counts: { memberships: 1, messages: 621, reactions: 1 } });
      const messages = lines.flatMap((l) => (l.type === 'message' ? [l.message] : []));
      expect(new Set(messages.map((m) => m.id)).size).toBe(621);
      expect(messages.filter((m) => m.type === 'text').map((m) => m.content).sort()).toEqual(sent.map((m) => m.content).sort());
      expect(messages.every((m) => m.senderId === me)).toBe(true);
      expect(lines.filter((l) => l.type === 'read_position')).toHaveLength(1);

      // Five exports an hour per user; the sixth is refused before anything is read.
      for (let i = 0; i < 4; i++) expect((await exportOf(me)).res.status).toBe(200);
      const limited = await fetch(`${base}/me/export`, { headers: { authorization: `Bearer ${me}` } });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).not.toBeNull();
      expect(((await limited.json()) as Json).error.code).toBe('RATE_LIMITED');

      const anonymous = await fetch(`${base}/me/export`);
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as Json).error.code).toBe('UNAUTHENTICATED');
    });

    it('erase (a host call): members see tombstones live and in catch-up; the export shows what is left; rerun changes nothing', async () => {
      if (skipped) return;
      const gone = `erase-${(n += 1)}`;
      const watcher = `watch-${n}`;
      const id = (await chat.conversations.createGroupConversation(watcher, { name: 'erase', memberIds: [gone] })).id;
      const mine = await chat.messages.sendMessage(gone, { conversationId: id, content: 'please forget me' });
      const theirs = await chat.messages.sendMessage(watcher, { conversationId: id, content: 'I stay' });
      await chat.messages.reactToMessage(theirs.id, gone, '👍');
      const ws = await connect(base, watcher);
      try {
        const deleted = ws.next((f) => f.type === 'message_deleted' && f.data.messageId === mine.id);
        const unreacted = ws.next((f) => f.type === 'message_reaction_updated' && f.data.messageId === theirs.id && f.data.action === 'removed');
        expect(await chat.userData.eraseUserData(gone)).toMatchObject({ tombstoned: 1, reactionsRemoved: 1 });
        expect((await deleted).data).toMatchObject({ conversationId: id, forEveryone: true });
        expect((await unreacted).data.reactions).toEqual([]);
      } finally {
        ws.close();
      }
      const changes = (await (await fetch(`${base}/conversations/${id}/changes?since=${theirs.seq}&version=${theirs.version + 1}`, { headers: { authorization: `Bearer ${watcher}` } })).json()) as Json;
      expect(changes.changes.find((m: Json) => m.id === mine.id)).toMatchObject({ deletedForEveryone: true, content: null });
      const { lines } = await exportOf(gone);
      expect(lines.at(-1)).toEqual({ type: 'end', counts: { memberships: 1, messages: 1, reactions: 0 } });
      expect(lines.find((l) => l.type === 'read_position')).toMatchObject({ lastReadSeq: 0, lastReadAt: null });
      expect(await chat.userData.eraseUserData(gone)).toMatchObject({ tombstoned: 0, reactionsRemoved: 0 });
    });

    it('retention: members hear history_truncated live, and catch-up from behind it answers truncatedBefore', async () => {
      if (skipped) return;
      const owner = `ret-${(n += 1)}`;
      const id = (await chat.conversations.createGroupConversation(owner, { name: 'retention', memberIds: ['member'] })).id;
      await chat.retention.setConversationRetention(id, 60);
      await chat.messages.sendMessage(owner, { conversationId: id, content: 'old' });
      skew += 2 * 60_000;
      const fresh = await chat.messages.sendMessage(owner, { conversationId: id, content: 'new' });
      const ws = await connect(base, 'member');
      try {
        const truncated = ws.next((f) => f.type === 'conversation_updated' && f.data.conversationId === id && f.data.updateType === 'history_truncated');
        const run = await chat.retention.runOnce();
        expect(run.conversations.find((c) => c.conversationId === id)).toEqual({ conversationId: id, removed: 2, truncatedBefore: fresh.seq });
        expect((await truncated).data.data).toEqual({ truncatedBefore: fresh.seq, removed: 2 });
        const sync = await ws.request('sync', { since: { [id]: { seq: 1, version: 1 } } });
        expect(sync.type).toBe('sync_result');
        expect(JSON.stringify(sync.data)).toContain(`"truncatedBefore":${fresh.seq}`);
      } finally {
        ws.close();
      }
      const res = await fetch(`${base}/conversations/${id}/changes?since=1&version=1`, { headers: { authorization: 'Bearer member' } });
      const body = (await res.json()) as Json;
      expect(body.truncatedBefore).toBe(fresh.seq);
      expect(body.messages.map((m: Json) => m.id)).toEqual([fresh.id]);
      const conversation = (await (await fetch(`${base}/conversations/${id}`, { headers: { authorization: 'Bearer member' } })).json()) as Json;
      expect(conversation.retentionSeconds).toBe(60);
    });
  });
}
