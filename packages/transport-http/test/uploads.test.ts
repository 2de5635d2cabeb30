import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalAttachmentStore } from '@parley/attachments-local';
import { SAMPLE_FILES } from '@parley/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { STORES, useApiServer } from './stores.js';
import { connect } from './ws-frames.js';

/** Bearer tokens are the user id: these tests are about files, not authentication. */
const authenticate = (token: string | null) => (token === null ? null : { id: token, name: token, status: 'active' });
type Json = Record<string, any>;

for (const [storeName, makeStore] of STORES) {
  describe(`uploads over REST and WebSocket, local disk, on ${storeName}`, () => {
    const directory = mkdtempSync(join(tmpdir(), 'parley-uploads-'));
    const server = useApiServer(makeStore, authenticate, () => ({
      attachments: {
        storage: createLocalAttachmentStore({ directory, publicUrl: '/files', secret: 'uploads-test-secret-that-is-long-enough' }),
        purgeIntervalMs: 3_600_000,
      },
    }));
    afterAll(() => rmSync(directory, { recursive: true, force: true }));
    const { api } = server;
    let n = 0;
    const group = async () => (await server.chat.conversations.createGroupConversation('ann', { name: `files ${(n += 1)}`, memberIds: ['ben'] })).id;
    const slot = async (conversationId: string, name: string, mimeType: string, size: number) => {
      const created = await api('ann', 'POST', '/attachments', { conversationId, name, mimeType, size });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      return created.json as { attachment: Json; upload: { method: string; url: string; headers: Record<string, string> } };
    };
    const put = (upload: { method: string; url: string; headers: Record<string, string> }, body: Uint8Array) =>
      fetch(new URL(upload.url, server.base), { method: upload.method, headers: upload.headers, body });
    const uploaded = async (conversationId: string, bytes: Uint8Array, name: string, mimeType: string) => {
      const s = await slot(conversationId, name, mimeType, bytes.length);
      const res = await put(s.upload, bytes);
      expect(res.status, await res.clone().text()).toBe(200);
      return s.attachment.id as string;
    };

    it('a file goes up, is checked, sent, and only members of the conversation download it', async () => {
      if (server.skipped) return;
      const id = await group();
      const s = await slot(id, 'cat.png', 'image/png', SAMPLE_FILES.png.length);
      expect(s.upload.url).toMatch(/^\/files\/u\//);
      expect(s.attachment).toMatchObject({ status: 'pending', name: 'cat.png', uploaderId: 'ann', conversationId: id });
      expect((await put(s.upload, SAMPLE_FILES.png)).status).toBe(200);
      const done = await api('ann', 'POST', `/attachments/${s.attachment.id}/complete`);
      expect(done.json.attachment).toMatchObject({ status: 'complete', mimeType: 'image/png' });
      const sent = await api('ann', 'POST', '/conversations/messages', { conversationId: id, type: 'image', attachmentIds: [s.attachment.id] });
      expect(sent.status, JSON.stringify(sent.json)).toBe(201);
      expect(sent.json.attachments).toEqual([{ id: s.attachment.id, name: 'cat.png', mimeType: 'image/png', size: SAMPLE_FILES.png.length }]);

      const link = await api('ben', 'GET', `/attachments/${s.attachment.id}`);
      expect(link.status).toBe(200);
      expect(link.json).toMatchObject({ attachmentId: s.attachment.id, name: 'cat.png', mimeType: 'image/png', inline: true });
      const file = await fetch(new URL(link.json.url, server.base));
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe('image/png');
      expect(file.headers.get('content-disposition')).toMatch(/^inline; filename="?cat\.png"?$/);
      expect(file.headers.get('x-content-type-options')).toBe('nosniff');
      expect(file.headers.get('content-security-policy')).toContain('sandbox');
      expect(new Uint8Array(await file.arrayBuffer())).toEqual(SAMPLE_FILES.png);
      const ranged = await fetch(new URL(link.json.url, server.base), { headers: { range: 'bytes=1-3' } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get('content-range')).toBe(`bytes 1-3/${SAMPLE_FILES.png.length}`);
      expect([...new Uint8Array(await ranged.arrayBuffer())]).toEqual([...SAMPLE_FILES.png.subarray(1, 4)]);

      const outsider = await api('carol', 'GET', `/attachments/${s.attachment.id}`);
      expect(outsider.status).toBe(404);
      expect(outsider.json.error).toMatchObject({ code: 'NOT_FOUND', details: { field: 'attachmentId' } });

      // Deleted for everyone: no new links, and the purge takes the bytes.
      await api('ann', 'DELETE', `/conversations/messages/${sent.json.id}?forEveryone=true`);
      expect((await api('ben', 'GET', `/attachments/${s.attachment.id}`)).status).toBe(404);
      await server.chat.attachmentPurge!.idle();
      await server.chat.attachmentPurge!.runOnce();
      expect((await fetch(new URL(link.json.url, server.base))).status).toBe(404);
    });

    it('the same flow over WebSocket frames, announced to the other member', async () => {
      if (server.skipped) return;
      const id = await group();
      const ann = await connect(server.base, 'ann');
      const ben = await connect(server.base, 'ben');
      try {
        await ben.request('join_conversation', { conversationId: id });
        const created = await ann.request('create_upload', { conversationId: id, name: 'report.pdf', mimeType: 'application/pdf', size: SAMPLE_FILES.pdf.length });
        expect(created.type).toBe('upload_created');
        expect((await put(created.data.upload, SAMPLE_FILES.pdf)).status).toBe(200);
        const completed = await ann.request('complete_upload', { attachmentId: created.data.attachment.id });
        expect(completed).toMatchObject({ type: 'upload_completed', data: { attachment: { status: 'complete', mimeType: 'application/pdf' } } });
        const sent = await ann.request('send_message', { conversationId: id, type: 'file', attachmentIds: [created.data.attachment.id], tempId: 't1' });
        expect(sent.type).toBe('message_sent');
        const announced = await ben.next((f) => f.type === 'new_message' && f.data.message.id === sent.data.message.id);
        expect(announced.data.message.attachments).toEqual([{ id: created.data.attachment.id, name: 'report.pdf', mimeType: 'application/pdf', size: SAMPLE_FILES.pdf.length }]);
        const link = await ben.request('get_attachment', { attachmentId: created.data.attachment.id });
        expect(link).toMatchObject({ type: 'attachment_download', data: { inline: false, mimeType: 'application/pdf' } });
        const file = await fetch(new URL(link.data.url, server.base));
        expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="?report\.pdf"?$/);
        expect(new Uint8Array(await file.arrayBuffer())).toEqual(SAMPLE_FILES.pdf);
        const refused = await ann.request('get_attachment', { attachmentId: 'no-such' });
        expect(refused).toMatchObject({ type: 'error', data: { code: 'NOT_FOUND', details: { field: 'attachmentId' } } });
        const badSlot = await ann.request('create_upload', { conversationId: id, name: 'x', mimeType: 'x', size: 1 });
        expect(badSlot).toMatchObject({ type: 'error', data: { code: 'VALIDATION_FAILED', details: { field: 'mimeType' } } });
      } finally {
        ann.close();
        ben.close();
      }
    });

    it('lying types are served as what they are: HTML and SVG download, never render', async () => {
      if (server.skipped) return;
      const id = await group();
      for (const [bytes, declared, real] of [
        [SAMPLE_FILES.html, 'image/png', 'text/html'],
        [SAMPLE_FILES.svg, 'image/svg+xml', 'image/svg+xml'],
      ] as const) {
        const attachmentId = await uploaded(id, bytes, 'innocent.png', declared);
        await api('ann', 'POST', '/conversations/messages', { conversationId: id, type: 'image', attachmentIds: [attachmentId] });
        const link = await api('ben', 'GET', `/attachments/${attachmentId}`);
        expect(link.json).toMatchObject({ mimeType: real, inline: false });
        const file = await fetch(new URL(link.json.url, server.base));
        expect(file.headers.get('content-type')).toBe(real);
        expect(file.headers.get('content-disposition')).toMatch(/^attachment;/);
        expect(file.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
        await file.arrayBuffer();
      }
    });

    it('uploads of the wrong size store nothing: too many bytes, a short Content-Length, a dropped connection', async () => {
      if (server.skipped) return;
      const id = await group();
      const tooMany = await slot(id, 'a.bin', 'application/octet-stream', 100);
      const over = await put(tooMany.upload, new Uint8Array(5_000));
      expect(over.status).toBe(413);
      expect(((await over.json()) as Json).error.code).toBe('PAYLOAD_TOO_LARGE');
      expect((await api('ann', 'POST', `/attachments/${tooMany.attachment.id}/complete`)).json.error).toMatchObject({ code: 'CONFLICT', details: { field: 'attachmentId' } });

      const short = await slot(id, 'b.bin', 'application/octet-stream', 1_000);
      const under = await put(short.upload, new Uint8Array(400));
      expect(under.status).toBe(400);
      expect((await api('ann', 'POST', `/attachments/${short.attachment.id}/complete`)).status).toBe(409);

      // The client announces the full size, sends half, and drops the connection.
      const dropped = await slot(id, 'c.bin', 'application/octet-stream', 200_000);
      await new Promise<void>((resolve) => {
        const target = new URL(dropped.upload.url, server.base);
        const req = request(target, { method: 'PUT', headers: { 'content-length': '200000', 'content-type': 'application/octet-stream' } });
        req.on('error', () => resolve());
        req.write(new Uint8Array(100_000), () => setTimeout(() => {
          req.destroy();
          resolve();
        }, 50));
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const refused = await api('ann', 'POST', `/attachments/${dropped.attachment.id}/complete`);
      expect(refused.json.error).toMatchObject({ code: 'CONFLICT', message: 'Nothing was uploaded for this attachment yet' });
      const sent = await api('ann', 'POST', '/conversations/messages', { conversationId: id, type: 'file', attachmentIds: [dropped.attachment.id] });
      expect(sent.json.error).toMatchObject({ code: 'CONFLICT', details: { field: 'attachmentIds.0' } });
    });

    it('slots refuse oversize files and bad names, and links refuse the wrong method or a forged token', async () => {
      if (server.skipped) return;
      const id = await group();
      const big = await api('ann', 'POST', '/attachments', { conversationId: id, name: 'huge.iso', mimeType: 'application/octet-stream', size: 100 * 1024 * 1024 + 1 });
      expect(big.json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'size' } });
      expect((await api('ann', 'POST', '/attachments', { conversationId: id, name: 'a\u0000.png', mimeType: 'image/png', size: 1 })).json.error.details.field).toBe('name');
      expect((await api('ann', 'POST', '/attachments', { conversationId: id, name: 'x'.repeat(256), mimeType: 'image/png', size: 1 })).json.error.details.field).toBe('name');
      expect((await api('carol', 'POST', '/attachments', { conversationId: id, name: 'a.png', mimeType: 'image/png', size: 1 })).status).toBe(404);
      const traversal = await slot(id, '../../../etc/passwd', 'text/plain', 3);
      expect(traversal.attachment.name).toBe('passwd');
      const bidi = await slot(id, 'invoice\u202Efdp.exe', 'application/pdf', 3);
      expect(bidi.attachment.name).toBe('invoicefdp.exe');

      expect((await fetch(new URL(traversal.upload.url, server.base))).status).toBe(405);
      const forged = traversal.upload.url.slice(0, -4) + (traversal.upload.url.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      const refused = await put({ ...traversal.upload, url: forged }, new Uint8Array(3));
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as Json).error.code).toBe('FORBIDDEN');
    });
  });
}
