import assert from 'node:assert/strict';
import type { AttachmentStore, UploadTicket } from '../adapters/attachment-store.js';
import { newId } from '../util/ids.js';
import type { ConformanceRunner } from './harness.js';
import { sleep } from './wait.js';

export interface AttachmentStorageConformanceOptions extends ConformanceRunner {
  name?: string;
  /** A storage for one test (a fresh folder, bucket or prefix). */
  createStorage: () => AttachmentStore | Promise<AttachmentStore>;
  destroyStorage?: (storage: AttachmentStore) => void | Promise<void>;
  /**
   * Whether downloads carry `X-Content-Type-Options: nosniff`. A store that serves bytes itself
   * must; S3 presigned URLs cannot set it (put a CDN header policy in front, see its README).
   */
  servesNosniff?: boolean;
  /** How a client reaches the store's URLs. Default: the global `fetch` (real HTTP). */
  fetch?: Fetch;
}

type Fetch = (url: string, init?: { method?: string; headers?: Record<string, string>; body?: Uint8Array }) => Promise<Response>;

/** Uploads `body` as the ticket says, as a browser would. */
export async function uploadTo(ticket: UploadTicket, body: Uint8Array, fetcher: Fetch = (url, init) => fetch(url, init)): Promise<Response> {
  return fetcher(ticket.url, { method: ticket.method, headers: ticket.headers, body });
}

const bytes = (size: number, seed = 7) => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
const inAMinute = () => new Date(Date.now() + 60_000);

/**
 * The AttachmentStore conformance suite. It moves real bytes over real URLs with `fetch`, so
 * the storage must be reachable from the test process (a local folder served over HTTP, an
 * S3-compatible server).
 */
export function runAttachmentStorageConformance(options: AttachmentStorageConformanceOptions): void {
  const fetch: Fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const uploadWith = (ticket: UploadTicket, body: Uint8Array) => uploadTo(ticket, body, fetch);
  const test = (name: string, fn: (storage: AttachmentStore, key: () => string) => Promise<void>) =>
    options.it(name, async () => {
      const storage = await options.createStorage();
      try {
        await fn(storage, () => newId().replaceAll('-', ''));
      } finally {
        await options.destroyStorage?.(storage);
      }
    }, 30_000);

  options.describe(`AttachmentStore conformance${options.name === undefined ? '' : `: ${options.name}`}`, () => {
    test('an upload through its ticket is stored byte for byte; inspect reports its size and first bytes', async (storage, key) => {
      const k = key();
      const body = bytes(70_000);
      const ticket = await storage.createUpload({ key: k, size: body.length, contentType: 'application/octet-stream', expiresAt: inAMinute() });
      const response = await uploadWith(ticket, body);
      assert.ok(response.ok, `upload answered ${response.status}: ${await response.text()}`);
      const stored = await storage.inspect(k, 4_100);
      assert.ok(stored !== null);
      assert.equal(stored.size, body.length);
      assert.deepEqual([...stored.head], [...body.subarray(0, 4_100)]);
      const short = await storage.inspect(k, 10);
      assert.deepEqual([...short!.head], [...body.subarray(0, 10)]);
    });

    test('inspect of a key never uploaded is null; a file shorter than the sample gives all of it', async (storage, key) => {
      assert.equal(await storage.inspect(key(), 100), null);
      const k = key();
      const body = bytes(5);
      await uploadWith(await storage.createUpload({ key: k, size: 5, contentType: 'text/plain', expiresAt: inAMinute() }), body);
      assert.deepEqual([...(await storage.inspect(k, 100))!.head], [...body]);
    });

    test('a download link serves the bytes with the given type and disposition', async (storage, key) => {
      const k = key();
      const body = bytes(3_000, 3);
      await uploadWith(await storage.createUpload({ key: k, size: body.length, contentType: 'image/png', expiresAt: inAMinute() }), body);
      const attachment = await storage.createDownload({ key: k, fileName: 'report 2026.pdf', contentType: 'application/pdf', inline: false, expiresAt: inAMinute() });
      const response = await fetch(attachment.url);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/pdf');
      const disposition = response.headers.get('content-disposition') ?? '';
      assert.match(disposition, /^attachment;/);
      assert.match(disposition, /report 2026\.pdf/);
      if (options.servesNosniff !== false) assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.deepEqual([...new Uint8Array(await response.arrayBuffer())], [...body]);

      const inline = await storage.createDownload({ key: k, fileName: 'photo.png', contentType: 'image/png', inline: true, expiresAt: inAMinute() });
      const shown = await fetch(inline.url);
      assert.equal(shown.status, 200);
      assert.match(shown.headers.get('content-disposition') ?? '', /^inline;/);
      await shown.arrayBuffer();
    });

    test('a non-ASCII file name survives in the disposition (RFC 5987)', async (storage, key) => {
      const k = key();
      await uploadWith(await storage.createUpload({ key: k, size: 4, contentType: 'text/plain', expiresAt: inAMinute() }), bytes(4));
      const link = await storage.createDownload({ key: k, fileName: 'Báo cáo tháng 11 — 😀.txt', contentType: 'text/plain', inline: false, expiresAt: inAMinute() });
      const response = await fetch(link.url);
      assert.equal(response.status, 200);
      const disposition = response.headers.get('content-disposition') ?? '';
      assert.match(disposition, /filename\*=UTF-8''B%C3%A1o%20c%C3%A1o/i, disposition);
      await response.arrayBuffer();
    });

    test('an upload of more bytes than its ticket names is refused or stored as it came, never passed off as the declared size', async (storage, key) => {
      const k = key();
      const ticket = await storage.createUpload({ key: k, size: 100, contentType: 'application/octet-stream', expiresAt: inAMinute() });
      const response = await uploadWith(ticket, bytes(5_000));
      await response.arrayBuffer();
      const stored = await storage.inspect(k, 10);
      if (response.ok) assert.equal(stored?.size, 5_000, 'inspect must report what really arrived');
      else assert.equal(stored, null);
    });

    test('an upload of fewer bytes than its ticket names is refused or reported with its real size', async (storage, key) => {
      const k = key();
      const ticket = await storage.createUpload({ key: k, size: 1_000, contentType: 'application/octet-stream', expiresAt: inAMinute() });
      const response = await uploadWith(ticket, bytes(400));
      await response.arrayBuffer();
      const stored = await storage.inspect(k, 10);
      if (response.ok) assert.equal(stored?.size, 400);
      else assert.equal(stored, null);
    });

    test('a tampered link is refused', async (storage, key) => {
      const k = key();
      const other = key();
      await uploadWith(await storage.createUpload({ key: k, size: 10, contentType: 'text/plain', expiresAt: inAMinute() }), bytes(10));
      const link = await storage.createDownload({ key: k, fileName: 'a.txt', contentType: 'text/plain', inline: false, expiresAt: inAMinute() });
      // A link with its signature changed, and (when the key shows in it) another key in it.
      const tampered = [flipSignature(link.url), ...(link.url.includes(k) ? [link.url.replace(k, other)] : [])];
      for (const url of tampered) {
        const response = await fetch(url);
        await response.arrayBuffer();
        assert.ok(response.status === 403 || response.status === 404 || response.status === 400, `${url} answered ${response.status}`);
      }
      const ticket = await storage.createUpload({ key: other, size: 10, contentType: 'text/plain', expiresAt: inAMinute() });
      const forged = await uploadWith({ ...ticket, url: flipSignature(ticket.url) }, bytes(10));
      await forged.arrayBuffer();
      assert.ok(!forged.ok, `a forged upload answered ${forged.status}`);
      assert.equal(await storage.inspect(other, 10), null);
    });

    test('links stop working when they expire', async (storage, key) => {
      const k = key();
      const soon = () => new Date(Date.now() + 1_000);
      const ticket = await storage.createUpload({ key: k, size: 10, contentType: 'text/plain', expiresAt: soon() });
      const ok = await uploadWith(ticket, bytes(10));
      assert.ok(ok.ok);
      const link = await storage.createDownload({ key: k, fileName: 'a.txt', contentType: 'text/plain', inline: false, expiresAt: soon() });
      await sleep(2_200);
      const late = await fetch(link.url);
      await late.arrayBuffer();
      assert.ok(late.status === 403 || late.status === 410 || late.status === 400, `an expired link answered ${late.status}`);
      const lateUpload = await uploadWith(ticket, bytes(10, 99));
      await lateUpload.arrayBuffer();
      assert.ok(!lateUpload.ok, `an expired upload ticket answered ${lateUpload.status}`);
      assert.equal((await storage.inspect(k, 1))!.head[0], bytes(1)[0], 'the late upload changed nothing');
    });

    test('bytes are written once: the same ticket or a new one cannot replace them', async (storage, key) => {
      // completeUpload checks size and type once; bytes swapped afterwards would go out unchecked.
      const k = key();
      const ticket = await storage.createUpload({ key: k, size: 8, contentType: 'text/plain', expiresAt: inAMinute() });
      const first = await uploadWith(ticket, bytes(8, 1));
      await first.arrayBuffer();
      assert.ok(first.ok, `the first upload answered ${first.status}`);
      const again = await uploadWith(ticket, bytes(8, 2));
      await again.arrayBuffer();
      assert.ok(!again.ok, `uploading again with the same ticket answered ${again.status}`);
      const other = await uploadWith(await storage.createUpload({ key: k, size: 12, contentType: 'text/plain', expiresAt: inAMinute() }), bytes(12, 3));
      await other.arrayBuffer();
      assert.ok(!other.ok, `uploading again with a new ticket answered ${other.status}`);
      const stored = await storage.inspect(k, 100);
      assert.equal(stored!.size, 8);
      assert.deepEqual([...stored!.head], [...bytes(8, 1)]);
    });

    test('two uploads racing under one ticket: one is stored whole, the other refused', async (storage, key) => {
      const k = key();
      const ticket = await storage.createUpload({ key: k, size: 4096, contentType: 'application/octet-stream', expiresAt: inAMinute() });
      const answers = await Promise.all([uploadWith(ticket, bytes(4096, 4)), uploadWith(ticket, bytes(4096, 5))]);
      for (const answer of answers) await answer.arrayBuffer();
      const stored = await storage.inspect(k, 4096);
      assert.equal(stored!.size, 4096);
      const winner = stored!.head[0] === bytes(4096, 4)[0] ? 4 : 5;
      assert.deepEqual([...stored!.head], [...bytes(4096, winner)], 'the stored bytes are one upload, whole');
      assert.ok(answers.some((a) => a.ok), 'one upload succeeded');
    });

    test('delete removes the bytes, ignores keys with nothing stored, and the old links stop serving', async (storage, key) => {
      const k = key();
      await uploadWith(await storage.createUpload({ key: k, size: 10, contentType: 'text/plain', expiresAt: inAMinute() }), bytes(10));
      const link = await storage.createDownload({ key: k, fileName: 'a.txt', contentType: 'text/plain', inline: false, expiresAt: inAMinute() });
      await storage.delete([k, key()]);
      await storage.delete([]);
      assert.equal(await storage.inspect(k, 10), null);
      const response = await fetch(link.url);
      await response.arrayBuffer();
      assert.equal(response.status, 404);
    });

    test('an empty file is a file', async (storage, key) => {
      const k = key();
      const response = await uploadWith(await storage.createUpload({ key: k, size: 0, contentType: 'text/plain', expiresAt: inAMinute() }), new Uint8Array(0));
      assert.ok(response.ok, `answered ${response.status}`);
      const stored = await storage.inspect(k, 10);
      assert.equal(stored?.size, 0);
    });
  });
}

/** The URL with one character of its signature (a `…signature` query value, else the longest path segment) changed. */
function flipSignature(raw: string): string {
  const url = new URL(raw);
  const params = [...url.searchParams.entries()];
  const signed = params.filter(([name]) => /signature/i.test(name)).pop();
  if (signed !== undefined) {
    url.searchParams.set(signed[0], flip(signed[1]));
    return url.toString();
  }
  // A token in the path: the longest segment.
  const segments = url.pathname.split('/');
  const at = segments.reduce((best, segment, i) => (segment.length > segments[best]!.length ? i : best), 0);
  segments[at] = flip(segments[at]!);
  url.pathname = segments.join('/');
  return url.toString();
}

function flip(text: string): string {
  const i = Math.max(0, text.length - 3);
  const c = text[i] === 'A' ? 'B' : 'A';
  return text.slice(0, i) + c + text.slice(i + 1);
}
