import assert from 'node:assert/strict';
import type { ChatServices } from '../../create-chat-services.js';
import { createMemoryAttachmentStore, type MemoryAttachmentStore } from '../../memory/memory-attachment-store.js';
import type { CaseFn, Harness, RaceCase, RaceHarness } from '../harness.js';
import { rejectsWith } from '../harness.js';

/** The first bytes of real files, enough for sniffing. */
export const SAMPLE_FILES = {
  png: Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89]),
  pdf: new TextEncoder().encode('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n'),
  html: new TextEncoder().encode('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>'),
  svg: new TextEncoder().encode('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'),
  text: new TextEncoder().encode('Xin chào — a plain note\n'),
  binary: Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff),
};

/**
 * Each case gets a memory AttachmentStore on the case's clock, so links expire in test time.
 * (The bytes' storage is not under test here: its own suite covers each one.)
 */
function filesCase(test: CaseFn) {
  return (name: string, fn: (h: Harness, files: MemoryAttachmentStore) => Promise<void>, unusedTtlMs = 3_600_000) => {
    let clock: Harness['clock'] | null = null;
    const files = createMemoryAttachmentStore({ now: () => clock?.ms ?? Date.now() });
    test(
      name,
      async (h) => {
        clock = h.clock;
        await fn(h, files);
      },
      { attachments: { storage: files, unusedTtlMs, purgeIntervalMs: 3_600_000 } },
    );
  };
}

/** Asks for a slot and uploads `bytes` through it, as a client would. */
export async function uploadFile(
  chat: ChatServices,
  files: MemoryAttachmentStore,
  userId: string,
  conversationId: string,
  bytes: Uint8Array,
  name = 'photo.png',
  mimeType = 'image/png',
): Promise<string> {
  const slot = await chat.attachments.createUpload(userId, { conversationId, name, mimeType, size: bytes.length });
  const response = await files.fetch(slot.upload.url, { method: slot.upload.method, headers: slot.upload.headers, body: bytes });
  assert.equal(response.status, 200, await response.clone().text());
  return slot.attachment.id;
}

export function attachmentCases(test: CaseFn): void {
  const withFiles = filesCase(test);

  withFiles('an uploaded file is checked, sent, claimed and carried by the message with its real type', async (h, files) => {
    const [a, b] = h.users(2) as [string, string];
    const id = await h.direct(a, b);
    const attachmentId = await uploadFile(h.chat, files, a, id, SAMPLE_FILES.png, 'cat.png', 'image/png');
    const completed = await h.chat.attachments.completeUpload(a, attachmentId);
    assert.equal(completed.status, 'complete');
    assert.equal(completed.mimeType, 'image/png');
    assert.equal((completed as Record<string, unknown>).storageKey, undefined, 'where the bytes live is not shown');
    const message = await h.chat.messages.sendMessage(a, { conversationId: id, type: 'image', attachmentIds: [attachmentId] });
    assert.deepEqual(message.attachments, [{ id: attachmentId, name: 'cat.png', mimeType: 'image/png', size: SAMPLE_FILES.png.length }]);
    const row = await h.store.getAttachment(attachmentId);
    assert.equal(row?.messageId, message.id);
    assert.equal(row?.status, 'complete');
    const read = await h.chat.messages.getMessageById(message.id, b);
    assert.deepEqual(read.attachments, message.attachments);
  });

  withFiles('sending completes an upload that was not completed, and keeps the order of attachments and links', async (h, files) => {
    const [a, b] = h.users(2) as [string, string];
    const id = await h.direct(a, b);
    const first = await uploadFile(h.chat, files, a, id, SAMPLE_FILES.pdf, 'report.pdf', 'application/pdf');
    const second = await uploadFile(h.chat, files, a, id, SAMPLE_FILES.text, 'notes.txt', 'text/plain');
    const link = { url: 'https://files.example.com/x.png', name: 'x.png', mimeType: 'image/png', size: 10 };
    const message = await h.chat.messages.sendMessage(a, { conversationId: id, type: 'file', attachments: [link], attachmentIds: [first, second] });
    assert.deepEqual(
      message.attachments.map((x) => [x.id ?? x.url, x.mimeType]),
      [[link.url, 'image/png'], [first, 'application/pdf'], [second, 'text/plain']],
    );
  });

  withFiles('the real type comes from the bytes: lying and markup types are caught', async (h, files) => {
    const [a, b] = h.users(2) as [string, string];
    const id = await h.direct(a, b);
    const cases: Array<[Uint8Array, string, string]> = [
      [SAMPLE_FILES.html, 'image/png', 'text/html'],
      [SAMPLE_FILES.svg, 'image/png', 'image/svg+xml'],
      [SAMPLE_FILES.png, 'text/plain', 'image/png'],
      [SAMPLE_FILES.binary, 'image/jpeg', 'application/octet-stream'],
      [SAMPLE_FILES.text, 'text/csv', 'text/csv'],
      [SAMPLE_FILES.text, 'application/x-msdownload', 'text/plain'],
    ];
    for (const [bytes, declared, real] of cases) {
      const attachmentId = await uploadFile(h.chat, files, a, id, bytes, 'file', declared);
      const done = await h.chat.attachments.completeUpload(a, attachmentId);
      assert.equal(done.mimeType, real, `declared ${declared}`);
      assert.equal(done.declaredType, declared);
      await h.chat.messages.sendMessage(a, { conversationId: id, type: 'file', attachmentIds: [attachmentId] });
      const download = await h.chat.attachments.getDownload(b, attachmentId);
      assert.equal(download.mimeType, real);
      assert.equal(download.inline, real === 'image/png', `${real} is ${download.inline ? '' : 'not '}shown inline`);
      const served = await files.fetch(download.url);
      assert.equal(served.headers.get('content-type'), real);
      assert.match(served.headers.get('content-disposition') ?? '', real === 'image/png' ? /^inline/ : /^attachment/);
      assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
    }
  });

  withFiles('file names are sanitised: no paths, controls or bidi tricks', async (h) => {
    const [a, b] = h.users(2) as [string, string];
    const id = await h.direct(a, b);
    const names: Array<[string, string]> = [
      ['../../etc/passwd', 'passwd'],
      ['C:\\Users\\me\\secret.docx', 'secret.docx'],
      ['invoice\u202Egpj.exe', 'invoicegpj.exe'],
      ['a\u0007b\u200Bc.txt', 'abc.txt'],
      ['...hidden', 'hidden'],
      ['con.txt', '_con.txt'],
      ['what?*<>|:".txt', 'what_______.txt'],
      ['   ', 'file'],
    ];
    for (const [raw, clean] of names) {
      const slot = await h.chat.attachments.createUpload(a, { conversationId: id, name: raw, mimeType: 'text/plain', size: 1 });
      assert.equal(slot.attachment.name, clean, JSON.stringify(raw));
    }
    const long = `${'é'.repeat(200)}.tar.gz`;
    const slot = await h.chat.attachments.createUpload(a, { conversationId: id, name: long, mimeType: 'application/gzip', size: 1 });
    assert.ok(new TextEncoder().encode(slot.attachment.name).length <= 255);
    assert.ok(slot.attachment.name.endsWith('.gz'));
  });

  withFiles('bad slots are refused with the field and change nothing', async (h, files) => {
    const [a, b, outsider] = h.users(3) as [string, string, string];
    const id = await h.direct(a, b);
    const base = { conversationId: id, name: 'a.png', mimeType: 'image/png', size: 10 };
    await rejectsWith(h.chat.attachments.createUpload(outsider, base), 'NOT_FOUND', 'conversationId');
    await rejectsWith(h.chat.attachments.createUpload(a, { ...base, size: 100 * 1024 * 1024 + 1 }), 'VALIDATION_FAILED', 'size');
    await rejectsWith(h.chat.attachments.createUpload(a, { ...base, size: -1 }), 'VALIDATION_FAILED', 'size');
    await rejectsWith(h.chat.attachments.createUpload(a, { ...base, size: 1.5 }), 'VALIDATION_FAILED', 'size');
    await rejectsWith(h.chat.attachments.createUpload(a, { ...base, mimeType: 'png' }), 'VALIDATION_FAILED', 'mimeType');
    await rejectsWith(h.chat.attachments.createUpload(a, { ...base, name: '' }), 'VALIDATION_FAILED', 'name');
    await rejectsWith(h.chat.attachments.createUpload(a, { ...base, name: 'a\u0000.png' }), 'VALIDATION_FAILED', 'name');
    await rejectsWith(h.chat.attachments.createUpload(a, { ...base, conversationId: undefined } as never), 'VALIDATION_FAILED', 'conversationId');
    assert.deepEqual(files.keys(), []);
  });

  withFiles('an upload is only usable once its bytes are all there', async (h, files) => {
    const [a, b] = h.users(2) as [string, string];
    const id = await h.direct(a, b);
    const slot = await h.chat.attachments.createUpload(a, { conversationId: id, name: 'big.bin', mimeType: 'application/octet-stream', size: 1000 });
    await rejectsWith(h.chat.attachments.completeUpload(a, slot.attachment.id), 'CONFLICT', 'attachmentId');
    await rejectsWith(h.chat.messages.sendMessage(a, { conversationId: id, type: 'file', attachmentIds: [slot.attachment.id] }), 'CONFLICT', 'attachmentIds.0');
    // A lenient storage kept a truncated upload: Parley still refuses it.
    files.put(slot.attachment.id, SAMPLE_FILES.binary);
    const refused = await rejectsWith(h.chat.attachments.completeUpload(a, slot.attachment.id), 'CONFLICT', 'attachmentId');
    assert.equal(refused.details?.received, SAMPLE_FILES.binary.length);
    assert.equal(refused.details?.expected, 1000);
    assert.equal((await h.store.getAttachment(slot.attachment.id))?.status, 'pending');
    assert.equal(files.keys().includes(slot.attachment.id), false, 'the wrong bytes are dropped, so the link can be used again');
    // …and one with more bytes than announced.
    files.put(slot.attachment.id, new Uint8Array(1001));
    await rejectsWith(h.chat.attachments.completeUpload(a, slot.attachment.id), 'CONFLICT', 'attachmentId');
    // The whole file, uploaded again through the same link, is accepted.
    const again = await files.fetch(slot.upload.url, { method: 'PUT', body: new Uint8Array(1000) });
    assert.equal(again.status, 200);
    assert.equal((await h.chat.attachments.completeUpload(a, slot.attachment.id)).status, 'complete');
    assert.equal((await h.chat.messages.sendMessage(a, { conversationId: id, type: 'file', attachmentIds: [slot.attachment.id] })).attachments.length, 1);
  });

  withFiles('an attachment belongs to one message; resending the same message is idempotent', async (h, files) => {
    const [a, b] = h.users(2) as [string, string];
    const id = await h.direct(a, b);
    const attachmentId = await uploadFile(h.chat, files, a, id, SAMPLE_FILES.png);
    const input = { conversationId: id, type: 'image' as const, attachmentIds: [attachmentId], clientMessageId: 'c-1' };
    const first = await h.chat.messages.sendMessage(a, input);
    const again = await h.chat.messages.sendMessage(a, input);
    assert.equal(again.id, first.id);
    await rejectsWith(h.chat.messages.sendMessage(a, { ...input, clientMessageId: 'c-2' }), 'CONFLICT', 'attachmentIds.0');
    await rejectsWith(h.chat.messages.sendMessage(a, { conversationId: id, type: 'image', attachmentIds: [attachmentId] }), 'CONFLICT', 'attachmentIds.0');
    assert.equal((await h.chat.messages.getConversationMessages(id, a)).messages.length, 1);
  });

  withFiles('only the uploader may use an upload, and only in its conversation', async (h, files) => {
    const [a, b, c] = h.users(3) as [string, string, string];
    const id = await h.group(a, [b, c]);
    const other = await h.direct(a, b);
    const attachmentId = await uploadFile(h.chat, files, a, id, SAMPLE_FILES.png);
    await rejectsWith(h.chat.messages.sendMessage(b, { conversationId: id, type: 'image', attachmentIds: [attachmentId] }), 'NOT_FOUND', 'attachmentIds.0');
    await rejectsWith(h.chat.attachments.completeUpload(b, attachmentId), 'NOT_FOUND', 'attachmentId');
    await rejectsWith(h.chat.messages.sendMessage(a, { conversationId: other, type: 'image', attachmentIds: [attachmentId] }), 'VALIDATION_FAILED', 'attachmentIds.0');
    await rejectsWith(h.chat.messages.sendMessage(a, { conversationId: id, type: 'image', attachmentIds: ['no-such-file'] }), 'NOT_FOUND', 'attachmentIds.0');
    await rejectsWith(h.chat.messages.sendMessage(a, { conversationId: id, type: 'image', attachmentIds: [attachmentId, attachmentId] }), 'VALIDATION_FAILED', 'attachmentIds');
    await rejectsWith(
      h.chat.messages.sendMessage(a, {
        conversationId: id,
        type: 'image',
        attachments: Array.from({ length: 10 }, (_, i) => ({ url: `https://x.example/${i}.png`, name: `${i}.png`, mimeType: 'image/png', size: 1 })),
        attachmentIds: [attachmentId],
      }),
      'VALIDATION_FAILED',
      'attachmentIds',
    );
    assert.equal((await h.store.getAttachment(attachmentId))?.messageId, null, 'nothing claimed it');
  });

  withFiles('download links go to members of the conversation only, and not for a message hidden from them', async (h, files) => {
    const [a, b, c, outsider] = h.users(4) as [string, string, string, string];
    const id = await h.group(a, [b, c]);
    const attachmentId = await uploadFile(h.chat, files, a, id, SAMPLE_FILES.png);
    // Before it is sent: its uploader only (to preview it on another device).
    assert.equal((await h.chat.attachments.getDownload(a, attachmentId)).attachmentId, attachmentId);
    await rejectsWith(h.chat.attachments.getDownload(b, attachmentId), 'NOT_FOUND', 'attachmentId');
    const message = await h.chat.messages.sendMessage(a, { conversationId: id, type: 'image', attachmentIds: [attachmentId] });
    const link = await h.chat.attachments.getDownload(b, attachmentId);
    assert.equal(link.name, 'photo.png');
    assert.equal(link.size, SAMPLE_FILES.png.length);
    assert.ok(Date.parse(link.expiresAt) > h.clock.ms);
    const served = await files.fetch(link.url);
    assert.equal(served.status, 200);
    assert.deepEqual([...new Uint8Array(await served.arrayBuffer())], [...SAMPLE_FILES.png]);
    await rejectsWith(h.chat.attachments.getDownload(outsider, attachmentId), 'NOT_FOUND', 'attachmentId');
    await h.chat.messages.deleteMessage(message.id, c, false);
    await rejectsWith(h.chat.attachments.getDownload(c, attachmentId), 'NOT_FOUND', 'attachmentId');
    await h.chat.conversations.removeMember(id, a, b);
    await rejectsWith(h.chat.attachments.getDownload(b, attachmentId), 'NOT_FOUND', 'attachmentId');
    await rejectsWith(h.chat.attachments.getDownload(a, 'nope'), 'NOT_FOUND', 'attachmentId');
  });

  withFiles('deleting a message for everyone deletes its files', async (h, files) => {
    const [a, b] = h.users(2) as [string, string];
    const id = await h.direct(a, b);
    const kept = await uploadFile(h.chat, files, a, id, SAMPLE_FILES.pdf, 'kept.pdf', 'application/pdf');
    const gone = await uploadFile(h.chat, files, a, id, SAMPLE_FILES.png);
    await h.chat.messages.sendMessage(a, { conversationId: id, type: 'file', attachmentIds: [kept] });
    const message = await h.chat.messages.sendMessage(a, { conversationId: id, type: 'image', attachmentIds: [gone] });
    const link = await h.chat.attachments.getDownload(b, gone);
    await h.chat.messages.deleteMessage(message.id, a, true);
    assert.equal((await h.store.getAttachment(gone))?.status, 'purging');
    await rejectsWith(h.chat.attachments.getDownload(b, gone), 'NOT_FOUND', 'attachmentId');
    await h.chat.attachmentPurge!.idle();
    await h.chat.attachmentPurge!.runOnce();
    assert.equal(await h.store.getAttachment(gone), null);
    assert.deepEqual(files.keys(), [kept]);
    assert.equal((await files.fetch(link.url)).status, 404);
  });

  withFiles(
    'uploads no message uses are deleted after their TTL; used ones stay',
    async (h, files) => {
      const [a, b] = h.users(2) as [string, string];
      const id = await h.direct(a, b);
      const used = await uploadFile(h.chat, files, a, id, SAMPLE_FILES.png);
      const unused = await uploadFile(h.chat, files, a, id, SAMPLE_FILES.pdf, 'a.pdf', 'application/pdf');
      const neverUploaded = (await h.chat.attachments.createUpload(a, { conversationId: id, name: 'x', mimeType: 'text/plain', size: 3 })).attachment.id;
      await h.chat.messages.sendMessage(a, { conversationId: id, type: 'image', attachmentIds: [used] });
      assert.equal(await h.chat.attachmentPurge!.runOnce(), 0, 'nothing is due before the TTL');
      h.clock.advance(61_000);
      assert.equal(await h.chat.attachmentPurge!.runOnce(), 2);
      assert.equal(await h.store.getAttachment(unused), null);
      assert.equal(await h.store.getAttachment(neverUploaded), null);
      assert.deepEqual(files.keys(), [used]);
      await rejectsWith(h.chat.messages.sendMessage(a, { conversationId: id, type: 'file', attachmentIds: [unused] }), 'NOT_FOUND', 'attachmentIds.0');
    },
    60_000,
  );

  withFiles('a deleted conversation takes its files with it', async (h, files) => {
    const [a, b] = h.users(2) as [string, string];
    const id = await h.group(a, [b]);
    const sent = await uploadFile(h.chat, files, a, id, SAMPLE_FILES.png);
    const pending = await uploadFile(h.chat, files, b, id, SAMPLE_FILES.pdf, 'b.pdf', 'application/pdf');
    await h.chat.messages.sendMessage(a, { conversationId: id, type: 'image', attachmentIds: [sent] });
    await h.chat.conversations.leaveConversation(id, b);
    await h.chat.conversations.leaveConversation(id, a);
    await h.chat.attachmentPurge!.idle();
    await h.chat.attachmentPurge!.runOnce();
    assert.equal(await h.store.getAttachment(sent), null);
    assert.equal(await h.store.getAttachment(pending), null);
    assert.deepEqual(files.keys(), []);
  });

  test('purge leases: one claim takes a row until its lease runs out', async (h) => {
    const [a, b] = h.users(2) as [string, string];
    const id = await h.direct(a, b);
    const at = h.clock.iso();
    for (const n of [1, 2, 3]) {
      await h.store.createAttachment({
        id: `att-${n}-${id}`,
        conversationId: id,
        uploaderId: a,
        storageKey: `key${n}`,
        name: 'x',
        declaredType: 'text/plain',
        mimeType: null,
        size: 1,
        status: 'pending',
        messageId: null,
        createdAt: h.clock.iso(n),
        completedAt: null,
        expiresAt: at,
      });
    }
    const now = h.clock.iso(10);
    const first = await h.store.claimAttachmentPurge(now, 2, 60_000);
    assert.deepEqual(first.map((p) => p.storageKey), ['key1', 'key2']);
    const second = await h.store.claimAttachmentPurge(now, 10, 60_000);
    assert.deepEqual(second.map((p) => p.storageKey), ['key3']);
    assert.deepEqual(await h.store.claimAttachmentPurge(now, 10, 60_000), []);
    const later = await h.store.claimAttachmentPurge(h.clock.iso(61_000), 10, 60_000);
    assert.deepEqual(later.map((p) => p.storageKey).sort(), ['key1', 'key2', 'key3']);
    assert.equal((await h.store.getAttachment(`att-1-${id}`))?.status, 'purging');
    await h.store.deleteAttachments(later.map((p) => p.id));
    assert.equal(await h.store.getAttachment(`att-1-${id}`), null);
    assert.equal(await h.store.completeAttachment(`att-1-${id}`, 'text/plain', now), null);
  });

  withFiles('uploads are rate limited per user', async (h) => {
    const [a, b] = h.users(2) as [string, string];
    const id = await h.direct(a, b);
    for (let i = 0; i < 60; i++) await h.chat.attachments.createUpload(a, { conversationId: id, name: `${i}.txt`, mimeType: 'text/plain', size: 1 });
    await rejectsWith(h.chat.attachments.createUpload(a, { conversationId: id, name: 'one-more.txt', mimeType: 'text/plain', size: 1 }), 'RATE_LIMITED');
    await h.chat.attachments.createUpload(b, { conversationId: id, name: 'b.txt', mimeType: 'text/plain', size: 1 });
  });

  test('without a storage, uploads are refused clearly and sends naming uploads too', async (h) => {
    const [a, b] = h.users(2) as [string, string];
    const id = await h.direct(a, b);
    assert.equal(h.chat.attachments.enabled, false);
    const refused = await rejectsWith(h.chat.attachments.createUpload(a, { conversationId: id, name: 'a', mimeType: 'text/plain', size: 1 }), 'NOT_FOUND');
    assert.match(refused.message, /not enabled/);
    await rejectsWith(h.chat.messages.sendMessage(a, { conversationId: id, type: 'file', attachmentIds: ['x'] }), 'NOT_FOUND', 'attachmentIds');
  });
}

/** A complete, unused upload written straight into the store, for the races. */
async function storedUpload(h: RaceHarness, id: string, conversationId: string, uploaderId: string, expiresInMs = 3_600_000) {
  await h.stores[0]!.createAttachment({
    id,
    conversationId,
    uploaderId,
    storageKey: id,
    name: 'x.png',
    declaredType: 'image/png',
    mimeType: null,
    size: 1,
    status: 'pending',
    messageId: null,
    createdAt: h.clock.iso(),
    completedAt: null,
    expiresAt: h.clock.iso(expiresInMs),
  });
  await h.stores[0]!.completeAttachment(id, 'image/png', h.clock.iso());
}

const attachmentMessage = (id: string, conversationId: string, senderId: string, attachmentId: string, at: string) => ({
  id,
  conversationId,
  senderId,
  type: 'image' as const,
  content: null,
  replyToId: null,
  attachments: [{ id: attachmentId, name: 'x.png', mimeType: 'image/png', size: 1 }],
  metadata: null,
  clientMessageId: null,
  createdAt: at,
  notify: false,
});

/** Races on attachment rows between store instances on one database. */
export const attachmentRaceCases: RaceCase[] = [
  {
    name: 'two messages naming one upload at once: exactly one is stored and claims it',
    instances: 2,
    async run(h) {
      for (let round = 0; round < 8; round++) {
        const [a, b] = h.users(2) as [string, string];
        const id = (await h.nodes[0]!.conversations.createDirectConversation(a, b)).id;
        const attachmentId = `race-${round}-${id}`;
        await storedUpload(h, attachmentId, id, a);
        const results = await Promise.all(
          h.stores.map((store, i) => store.insertMessages([attachmentMessage(`m${i}-${attachmentId}`, id, a, attachmentId, h.clock.iso())])),
        );
        const statuses = results.map((r) => r[0]!.status).sort();
        assert.deepEqual(statuses, ['created', 'refused'], `round ${round}`);
        const refused = results.map((r) => r[0]!).find((r) => r.status === 'refused');
        assert.equal(refused?.status === 'refused' ? refused.reason : null, 'attachment');
        const created = results.map((r) => r[0]!).find((r) => r.status === 'created')!;
        assert.equal((await h.stores[1]!.getAttachment(attachmentId))?.messageId, created.message!.id);
      }
    },
  },
  {
    name: 'a send and the purge of an expired upload at once: it is either sent or purged, never both',
    instances: 2,
    async run(h) {
      let sent = 0;
      let purged = 0;
      for (let round = 0; round < 8; round++) {
        const [a, b] = h.users(2) as [string, string];
        const id = (await h.nodes[0]!.conversations.createDirectConversation(a, b)).id;
        const attachmentId = `expired-${round}-${id}`;
        await storedUpload(h, attachmentId, id, a, -1);
        const [inserted, claimed] = await Promise.all([
          h.stores[0]!.insertMessages([attachmentMessage(`m-${attachmentId}`, id, a, attachmentId, h.clock.iso())]),
          h.stores[1]!.claimAttachmentPurge(h.clock.iso(), 100, 60_000),
        ]);
        const wasSent = inserted[0]!.status === 'created';
        const wasPurged = claimed.some((p) => p.id === attachmentId);
        assert.notEqual(wasSent, wasPurged, `round ${round}: sent ${wasSent}, purged ${wasPurged}`);
        if (wasSent) sent += 1;
        else purged += 1;
        const row = await h.stores[1]!.getAttachment(attachmentId);
        assert.equal(row?.status, wasSent ? 'complete' : 'purging');
      }
      assert.equal(sent + purged, 8);
    },
  },
];
