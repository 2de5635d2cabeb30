import { describe, expect, it } from 'vitest';
import { STORES, useApiServer } from './stores.js';
import { connect } from './ws-frames.js';

/** Bearer tokens are the user id: these tests are about moderation, not authentication. */
const authenticate = (token: string | null) => (token === null ? null : { id: token, name: token, status: 'active' });
type Json = Record<string, any>;

/**
 * The moderation kit over both transports, on every store: the REST routes and the WebSocket
 * frames answer the same shapes, refuse the same things with the same codes, and raise the
 * events the protocol documents.
 */
for (const [storeName, makeStore] of STORES) {
  describe(`moderation over REST and WebSocket on ${storeName}`, () => {
    const server = useApiServer(makeStore, authenticate);
    const { api } = server;
    let n = 0;
    /** A group of `own` (owner), `adm` (admin), `amy` and `bo`, with fresh names per test. */
    const group = async () => {
      const k = (n += 1);
      const people = { own: `own${k}`, adm: `adm${k}`, amy: `amy${k}`, bo: `bo${k}` };
      const id = (await server.chat.conversations.createGroupConversation(people.own, { name: `mod ${k}`, memberIds: [people.adm, people.amy, people.bo] })).id;
      await server.chat.conversations.updateMemberRole(id, people.own, people.adm, 'admin');
      return { id, ...people };
    };

    it('REST: ban, list, refuse the re-add, lift; members get 403, strangers 404', async () => {
      if (server.skipped) return;
      const { id, own, adm, amy, bo } = await group();
      expect((await api(amy, 'POST', `/conversations/${id}/bans`, { userId: bo })).status).toBe(403);
      expect((await api('stranger', 'POST', `/conversations/${id}/bans`, { userId: bo })).status).toBe(404);
      const bad = await api(adm, 'POST', `/conversations/${id}/bans`, { userId: bo, until: 'soon' });
      expect(bad.status).toBe(400);
      expect(bad.json.error.details.field).toBe('until');

      const banned = await api(adm, 'POST', `/conversations/${id}/bans`, { userId: bo, reason: 'spam' });
      expect(banned.status).toBe(201);
      expect(banned.json).toMatchObject({ conversationId: id, userId: bo, bannedBy: adm, reason: 'spam', expiresAt: null });
      expect((await api(adm, 'GET', `/conversations/${id}/bans`)).json.items.map((b: Json) => b.userId)).toEqual([bo]);
      const readd = await api(own, 'POST', `/conversations/${id}/members`, { memberIds: [bo] });
      expect(readd.status).toBe(403);
      expect(readd.json.error.details.field).toBe('memberIds');
      expect((await api(bo, 'GET', `/conversations/${id}/messages`)).status).toBe(404);

      expect((await api(adm, 'DELETE', `/conversations/${id}/bans/${bo}`)).json).toEqual({ conversationId: id, userId: bo });
      expect((await api(own, 'POST', `/conversations/${id}/members`, { memberIds: [bo] })).status).toBe(201);
      expect((await api(adm, 'DELETE', `/conversations/${id}/bans/${bo}`)).status).toBe(404);
    });

    it('REST: mute and unmute a member, slow mode with the wait in 429', async () => {
      if (server.skipped) return;
      const { id, adm, amy } = await group();
      const muted = await api(adm, 'POST', `/conversations/${id}/members/${amy}/silence`, {});
      expect(muted.status).toBe(200);
      expect(muted.json.member).toMatchObject({ userId: amy });
      expect(muted.json.member.silencedUntil).not.toBeNull();
      const refused = await api(amy, 'POST', '/conversations/messages', { conversationId: id, content: 'hi' });
      expect(refused.status).toBe(403);
      expect((await api(adm, 'DELETE', `/conversations/${id}/members/${amy}/silence`)).json.member.silencedUntil).toBeNull();
      expect((await api(amy, 'POST', '/conversations/messages', { conversationId: id, content: 'hi' })).status).toBe(201);

      expect((await api(adm, 'PUT', `/conversations/${id}/slow-mode`, { seconds: 60 })).json).toEqual({ conversationId: id, slowModeSeconds: 60 });
      expect((await api(amy, 'POST', '/conversations/messages', { conversationId: id, content: 'one' })).status).toBe(201);
      const slow = await api(amy, 'POST', '/conversations/messages', { conversationId: id, content: 'two' });
      expect(slow.status).toBe(429);
      expect(slow.json.error.details.slowModeSeconds).toBe(60);
      expect(slow.json.error.details.retryAfterMs).toBeGreaterThan(0);
      expect((await api(adm, 'POST', '/conversations/messages', { conversationId: id, content: 'exempt' })).status).toBe(201);
      const badSeconds = await api(adm, 'PUT', `/conversations/${id}/slow-mode`, { seconds: 'ten' });
      expect(badSeconds.status).toBe(400);
      expect(badSeconds.json.error.details.field).toBe('seconds');
      expect((await api(amy, 'PUT', `/conversations/${id}/slow-mode`, { seconds: 0 })).status).toBe(403);
      const conversation = await api(amy, 'GET', `/conversations/${id}`);
      expect(conversation.json.slowModeSeconds).toBe(60);
      expect(conversation.json.capabilities).not.toContain('moderate');
      expect((await api(adm, 'GET', `/conversations/${id}`)).json.capabilities).toContain('moderate');
    });

    it('REST: reports into the queue, resolved once, and the audit log', async () => {
      if (server.skipped) return;
      const { id, own, adm, amy, bo } = await group();
      const message = (await api(bo, 'POST', '/conversations/messages', { conversationId: id, content: 'spam spam' })).json;
      const reported = await api(amy, 'POST', `/conversations/messages/${message.id}/report`, { reason: 'spam' });
      expect(reported.status).toBe(201);
      expect(reported.json.report).toMatchObject({ messageId: message.id, reporterId: amy, status: 'open' });
      expect((await api(bo, 'POST', `/conversations/messages/${message.id}/report`, { reason: 'spam' })).status).toBe(400);
      expect((await api(amy, 'POST', `/conversations/messages/${message.id}/report`, { reason: 'nope' })).json.error.details.field).toBe('reason');
      expect((await api(amy, 'GET', `/conversations/${id}/reports`)).status).toBe(403);
      const queue = await api(adm, 'GET', `/conversations/${id}/reports?status=open`);
      expect(queue.json.items.map((r: Json) => r.id)).toEqual([reported.json.report.id]);
      const resolved = await api(adm, 'POST', `/reports/${reported.json.report.id}/resolve`, { action: 'delete' });
      expect(resolved.status).toBe(200);
      expect(resolved.json.reports[0]).toMatchObject({ status: 'resolved', resolution: 'deleted', resolvedBy: adm });
      expect((await api(own, 'POST', `/reports/${reported.json.report.id}/resolve`, { action: 'dismiss' })).status).toBe(409);
      expect((await api(amy, 'GET', `/conversations/messages/${message.id}`)).json.deletedForEveryone).toBe(true);

      const audit = await api(own, 'GET', `/conversations/${id}/audit?limit=10`);
      expect(audit.status).toBe(200);
      expect(audit.json.items.map((e: Json) => e.action)).toEqual(['report_resolved', 'message_deleted']);
      expect((await api(amy, 'GET', `/conversations/${id}/audit`)).status).toBe(403);
    });

    it('REST: blocks stop a direct conversation both ways, privately', async () => {
      if (server.skipped) return;
      const k = (n += 1);
      const [cal, dee] = [`cal${k}`, `dee${k}`];
      const direct = (await api(cal, 'POST', '/conversations/direct', { recipientId: dee })).json;
      expect((await api(cal, 'POST', '/blocks', { userId: dee })).json).toEqual({ userId: dee, blocked: true });
      expect((await api(cal, 'GET', '/blocks')).json).toEqual({ userIds: [dee] });
      expect((await api(dee, 'GET', '/blocks')).json).toEqual({ userIds: [] });
      expect((await api(dee, 'POST', '/conversations/messages', { conversationId: direct.id, content: 'hello?' })).status).toBe(403);
      expect((await api(cal, 'POST', '/blocks', { userId: cal })).status).toBe(400);
      expect((await api(cal, 'DELETE', `/blocks/${dee}`)).json).toEqual({ userId: dee, blocked: false });
      expect((await api(dee, 'POST', '/conversations/messages', { conversationId: direct.id, content: 'hello again' })).status).toBe(201);
    });

    it('WebSocket: every moderation frame answers its reply, and members hear what they should', async () => {
      if (server.skipped) return;
      const { id, adm, amy, bo } = await group();
      const admin = await connect(server.base, adm);
      const amySocket = await connect(server.base, amy);
      const boSocket = await connect(server.base, bo);
      try {
        const slow = await admin.request('set_slow_mode', { conversationId: id, seconds: 30 });
        expect(slow).toMatchObject({ type: 'set_slow_mode_success', data: { conversationId: id, slowModeSeconds: 30 } });
        await amySocket.next((f) => f.type === 'conversation_updated' && f.data.updateType === 'slow_mode_changed' && f.data.data.slowModeSeconds === 30);
        expect(await amySocket.request('send_message', { conversationId: id, content: 'one', tempId: 's1' })).toMatchObject({ type: 'message_sent' });
        const tooSoon = await amySocket.request('send_message', { conversationId: id, content: 'two', tempId: 's2' });
        expect(tooSoon).toMatchObject({ type: 'error', data: { code: 'RATE_LIMITED', details: { slowModeSeconds: 30 } } });
        expect((await admin.request('set_slow_mode', { conversationId: id, seconds: -5 })).data).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'seconds' } });
        await admin.request('set_slow_mode', { conversationId: id, seconds: 0 });

        const muted = await admin.request('silence_member', { conversationId: id, userId: amy });
        expect(muted.type).toBe('silence_member_success');
        expect(muted.data.member.silencedUntil).not.toBeNull();
        await amySocket.next((f) => f.type === 'conversation_updated' && f.data.updateType === 'member_silenced');
        expect((await amySocket.request('send_message', { conversationId: id, content: 'muted' })).data).toMatchObject({ code: 'FORBIDDEN' });
        expect((await admin.request('unsilence_member', { conversationId: id, userId: amy })).data.member.silencedUntil).toBeNull();

        const message = (await boSocket.request('send_message', { conversationId: id, content: 'nasty' })).data.message;
        const report = await amySocket.request('report_message', { messageId: message.id, reason: 'harassment', note: 'please look' });
        expect(report).toMatchObject({ type: 'report_message_success', data: { report: { messageId: message.id, status: 'open', note: 'please look' } } });
        await admin.next((f) => f.type === 'conversation_updated' && f.data.updateType === 'message_reported');
        const reports = await admin.request('list_reports', { conversationId: id, status: 'open' });
        expect(reports).toMatchObject({ type: 'reports_result', data: { items: [{ id: report.data.report.id }], nextCursor: null } });
        expect((await amySocket.request('list_reports', { conversationId: id })).data.code).toBe('FORBIDDEN');
        const resolved = await admin.request('resolve_report', { reportId: report.data.report.id, action: 'ban' });
        expect(resolved).toMatchObject({ type: 'resolve_report_success', data: { reports: [{ resolution: 'banned' }] } });
        await boSocket.next((f) => f.type === 'conversation_updated' && f.data.updateType === 'member_removed' && f.data.data.userId === bo);
        await amySocket.next((f) => f.type === 'message_deleted' && f.data.messageId === message.id);
        expect((await admin.request('list_bans', { conversationId: id })).data.items.map((b: Json) => b.userId)).toEqual([bo]);
        expect((await boSocket.request('send_message', { conversationId: id, content: 'still here?' })).data.code).toBe('NOT_FOUND');
        expect((await admin.request('unban_member', { conversationId: id, userId: bo })).data).toEqual({ conversationId: id, userId: bo });
        const banned = await admin.request('ban_member', { conversationId: id, userId: amy, reason: 'test', until: new Date(Date.now() + 60_000).toISOString() });
        expect(banned).toMatchObject({ type: 'ban_member_success', data: { userId: amy, reason: 'test' } });

        const audit = await admin.request('get_audit_log', { conversationId: id, limit: 3 });
        expect(audit.type).toBe('audit_result');
        expect(audit.data.items.map((e: Json) => e.action)).toEqual(['member_banned', 'member_unbanned', 'report_resolved']);
        expect(audit.data.nextCursor).not.toBeNull();

        expect(await boSocket.request('block_user', { userId: adm })).toMatchObject({ type: 'block_user_success', data: { userId: adm, blocked: true } });
        expect(await boSocket.request('list_blocked', {})).toMatchObject({ type: 'blocked_result', data: { userIds: [adm] } });
        expect(await boSocket.request('unblock_user', { userId: adm })).toMatchObject({ type: 'unblock_user_success', data: { blocked: false } });
        expect((await boSocket.request('block_user', { userId: 42 })).data).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'userId' } });
      } finally {
        admin.close();
        amySocket.close();
        boSocket.close();
      }
    });
  });
}
