import { HeadObjectCommand, ListObjectsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ChatError } from '@parley/core';
import { uploadTo } from '@parley/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3AttachmentStore, DELETE_BATCH, InvalidKeyError, MAX_PRESIGN_SECONDS, type S3AttachmentStoreOptions } from '../src/index.js';
import { BUCKET, connection, CREDENTIALS, freshPrefix, REGION, startFakeS3, type FakeS3 } from './s3-kit.js';

let s3: FakeS3;
let raw: S3Client; // reads what the store wrote, past the store's own methods
beforeAll(async () => {
  s3 = await startFakeS3();
  raw = new S3Client({ ...connection(s3.endpoint), requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
});
afterAll(async () => {
  raw.destroy();
  await s3.stop();
});

const inAMinute = () => new Date(Date.now() + 60_000);
const bytes = (size: number, seed = 1) => Uint8Array.from({ length: size }, (_, i) => (i * 7 + seed) & 0xff);

/**
 * Every key under `prefix`. ListObjects (v1) paged by Marker: s3rver's ListObjectsV2 makes a
 * continuation token with DES whenever a page is truncated, which OpenSSL 3 refuses (500).
 */
async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for (;;) {
    const page = await raw.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: prefix, Marker: keys.at(-1) }));
    const found = (page.Contents ?? []).map((c) => c.Key!);
    keys.push(...found);
    if (!page.IsTruncated || found.length === 0) return keys.sort();
  }
}

/** Runs `fn` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

describe('S3 attachment store: keys and prefixes', () => {
  it('stores each key under its prefix; stores with other prefixes neither see nor delete it', async () => {
    const [prefixA, prefixB] = [freshPrefix('a'), freshPrefix('b')];
    const a = createS3AttachmentStore({ bucket: BUCKET, prefix: prefixA, ...connection(s3.gateway.url) });
    const b = createS3AttachmentStore({ bucket: BUCKET, prefix: prefixB, ...connection(s3.gateway.url) });
    const key = 'file_01-x';
    const ok = await uploadTo(await a.createUpload({ key, size: 6, contentType: 'text/plain', expiresAt: inAMinute() }), bytes(6));
    expect(ok.status).toBe(200);
    expect(await keysUnder(prefixA)).toEqual([`${prefixA}${key}`]);
    expect(await b.inspect(key, 10)).toBeNull();
    await b.delete([key]);
    expect((await a.inspect(key, 10))?.size).toBe(6);
    await a.delete([key]);
    expect(await keysUnder(prefixA)).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses a key Parley would not make before it reaches a URL', async () => {
    const store = createS3AttachmentStore({ bucket: BUCKET, prefix: freshPrefix(), ...connection(s3.gateway.url) });
    for (const key of ['', '../other', 'a/b', 'a b', 'x'.repeat(129)]) {
      await expect(store.createUpload({ key, size: 1, contentType: 'text/plain', expiresAt: inAMinute() })).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.inspect(key, 1)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.delete([key])).rejects.toBeInstanceOf(InvalidKeyError);
    }
    await store.close();
  });

  it(`deletes more than ${DELETE_BATCH} keys in batches of ${DELETE_BATCH}, ignoring missing and repeated keys`, async () => {
    const prefix = freshPrefix('many');
    const keys = Array.from({ length: DELETE_BATCH + 5 }, (_, i) => `k${i}`);
    await inParallel(keys, 32, (key) => raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}${key}`, Body: bytes(3) })));
    expect(await keysUnder(prefix)).toHaveLength(keys.length);

    // A client the host owns, watched: how many DeleteObjects requests, and how many keys in each.
    const client = new S3Client(connection(s3.gateway.url));
    const batches: number[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DeleteObjectsCommand') batches.push((args.input as { Delete: { Objects: unknown[] } }).Delete.Objects.length);
        return next(args);
      },
      { step: 'initialize', name: 'countDeletes' },
    );
    const store = createS3AttachmentStore({ bucket: BUCKET, prefix, client });
    await store.delete([...keys, 'never-uploaded', keys[0]!, keys[1]!]);
    expect(batches).toEqual([DELETE_BATCH, 6]);
    expect(await keysUnder(prefix)).toEqual([]);
    client.destroy();
  }, 60_000);
});

describe('S3 attachment store: signed requests', () => {
  it('signs the size, the type and the write-once condition of an upload, so S3 refuses another body size or type, or a PUT without the condition', async () => {
    const store = createS3AttachmentStore({ bucket: BUCKET, prefix: freshPrefix(), ...connection(s3.gateway.url) });
    const ticket = await store.createUpload({ key: 'sized', size: 100, contentType: 'image/png', expiresAt: inAMinute() });
    const signed = new URL(ticket.url).searchParams.get('X-Amz-SignedHeaders')?.split(';');
    expect(signed).toEqual(expect.arrayContaining(['content-length', 'content-type', 'host', 'if-none-match']));
    expect(ticket.headers).toEqual({ 'content-type': 'image/png', 'if-none-match': '*' });

    const before = s3.gateway.refused.get('SignatureDoesNotMatch') ?? 0;
    for (const attempt of [
      { headers: ticket.headers, body: bytes(99) },
      { headers: ticket.headers, body: bytes(101) },
      { headers: { 'content-type': 'text/html', 'if-none-match': '*' }, body: bytes(100) },
      // Without the condition the PUT could replace checked bytes: refused.
      { headers: { 'content-type': 'image/png' }, body: bytes(100) },
    ]) {
      const response = await fetch(ticket.url, { method: 'PUT', ...attempt });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('SignatureDoesNotMatch');
    }
    expect(s3.gateway.refused.get('SignatureDoesNotMatch')).toBe(before + 4);
    expect(await store.inspect('sized', 1)).toBeNull();
    expect((await uploadTo(ticket, bytes(100))).status).toBe(200);
    expect((await store.inspect('sized', 1))?.size).toBe(100);
    await store.close();
  });

  it('puts no checksum of an empty body in a presigned URL, even from a client that computes checksums by default', async () => {
    const client = new S3Client(connection(s3.gateway.url)); // requestChecksumCalculation: WHEN_SUPPORTED
    const store = createS3AttachmentStore({ bucket: BUCKET, prefix: freshPrefix(), client });
    const ticket = await store.createUpload({ key: 'sum', size: 4, contentType: 'text/plain', expiresAt: inAMinute() });
    const download = await store.createDownload({ key: 'sum', fileName: 'a.txt', contentType: 'text/plain', inline: false, expiresAt: inAMinute() });
    for (const url of [ticket.url, download.url]) expect([...new URL(url).searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
    expect((await uploadTo(ticket, bytes(4))).status).toBe(200);
    client.destroy();
  });

  it('serves SVG and HTML as downloads even when asked inline; safe images inline; with a cache policy', async () => {
    const store = createS3AttachmentStore({ bucket: BUCKET, prefix: freshPrefix(), ...connection(s3.gateway.url) });
    await uploadTo(await store.createUpload({ key: 'pic', size: 8, contentType: 'image/png', expiresAt: inAMinute() }), bytes(8));
    const served = async (contentType: string) => {
      const { url } = await store.createDownload({ key: 'pic', fileName: 'pic', contentType, inline: true, expiresAt: inAMinute() });
      const response = await fetch(url);
      await response.arrayBuffer();
      return { type: response.headers.get('content-type'), disposition: response.headers.get('content-disposition'), cache: response.headers.get('cache-control') };
    };
    expect(await served('image/png')).toEqual({ type: 'image/png', disposition: 'inline; filename=pic', cache: 'private, max-age=3600' });
    expect((await served('image/svg+xml')).disposition).toBe('attachment; filename=pic');
    expect((await served('text/html')).disposition).toBe('attachment; filename=pic');
    await store.close();
  });

  it('hands out download links on downloadOrigin, keeping the signed path and query; uploads stay on the bucket', async () => {
    const store = createS3AttachmentStore({ bucket: BUCKET, prefix: 'p/', ...connection(s3.gateway.url), downloadOrigin: 'https://files.example.com' });
    const { url } = await store.createDownload({ key: 'k', fileName: 'a', contentType: 'text/plain', inline: false, expiresAt: inAMinute() });
    const link = new URL(url);
    expect(link.origin).toBe('https://files.example.com'); // the S3 endpoint's port is gone too
    expect(link.pathname).toBe(`/${BUCKET}/p/k`);
    expect(link.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    const ticket = await store.createUpload({ key: 'k', size: 1, contentType: 'text/plain', expiresAt: inAMinute() });
    expect(new URL(ticket.url).origin).toBe(s3.gateway.url);
    await store.close();
  });

  it('signs links for at most 7 days and never for a time already past', async () => {
    const store = createS3AttachmentStore({ bucket: BUCKET, prefix: freshPrefix(), ...connection(s3.gateway.url) });
    const request = { key: 'k', fileName: 'a', contentType: 'text/plain', inline: false };
    const week = await store.createDownload({ ...request, expiresAt: new Date(Date.now() + (MAX_PRESIGN_SECONDS - 2) * 1000) });
    expect(Number(new URL(week.url).searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(MAX_PRESIGN_SECONDS);
    await expect(store.createDownload({ ...request, expiresAt: new Date(Date.now() + (MAX_PRESIGN_SECONDS + 5) * 1000) })).rejects.toThrow(/at most 7 days/);
    await expect(store.createUpload({ key: 'k', size: 1, contentType: 'text/plain', expiresAt: new Date(Date.now() - 1) })).rejects.toThrow(/in the future/);
    await expect(store.createUpload({ key: 'k', size: -1, contentType: 'text/plain', expiresAt: inAMinute() })).rejects.toThrow(/whole number/);
    await store.close();
  });
});

describe('S3 attachment store: clients', () => {
  it('uses a host-supplied client as it is configured, reads only the head, and leaves the client open on close', async () => {
    const client = new S3Client({ ...connection(s3.gateway.url), requestChecksumCalculation: 'WHEN_REQUIRED' });
    const sent: Array<{ command: string; range?: string }> = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push({ command: context.commandName!, ...((args.input as { Range?: string }).Range === undefined ? {} : { range: (args.input as { Range: string }).Range }) });
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    const prefix = freshPrefix('host');
    const store = createS3AttachmentStore({ bucket: BUCKET, prefix, client });
    expect(store.client).toBe(client);
    const ticket = await store.createUpload({ key: 'big', size: 300_000, contentType: 'application/octet-stream', expiresAt: inAMinute() });
    expect(ticket.url.startsWith(`${s3.gateway.url}/${BUCKET}/${prefix}big?`)).toBe(true);
    expect((await uploadTo(ticket, bytes(300_000))).status).toBe(200);
    expect(sent.map((s) => s.command)).toEqual(['PutObjectCommand']); // presigning runs the command's stack, sends nothing

    sent.length = 0;
    const stored = await store.inspect('big', 16);
    expect(stored).toEqual({ size: 300_000, head: bytes(300_000).subarray(0, 16) });
    expect(sent).toEqual([{ command: 'HeadObjectCommand' }, { command: 'GetObjectCommand', range: 'bytes=0-15' }]);

    await uploadTo(await store.createUpload({ key: 'empty', size: 0, contentType: 'text/plain', expiresAt: inAMinute() }), new Uint8Array(0));
    sent.length = 0;
    expect(await store.inspect('empty', 16)).toEqual({ size: 0, head: new Uint8Array(0) });
    expect(sent.map((s) => s.command)).toEqual(['HeadObjectCommand']); // S3 answers 416 to a range on an empty object

    await store.close();
    await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${prefix}big` })); // still usable
    client.destroy();
  });

  it('pings: resolves for its bucket, and says which bucket and why when it does not exist', async () => {
    const store = createS3AttachmentStore({ bucket: BUCKET, ...connection(s3.gateway.url) });
    await expect(store.ping()).resolves.toBeUndefined();
    const missing = createS3AttachmentStore({ bucket: 'no-such-bucket', ...connection(s3.gateway.url) });
    await expect(missing.ping()).rejects.toThrow('S3 bucket "no-such-bucket" is not usable: it does not exist');
    const wrongKey = createS3AttachmentStore({ bucket: BUCKET, ...connection(s3.gateway.url), credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'x' } });
    await expect(wrongKey.ping()).rejects.toThrow(`S3 bucket "${BUCKET}" is not usable: these credentials may not use it`);
    await Promise.all([store.close(), missing.close(), wrongKey.close()]);
  });

  it('fails an S3 call clearly, naming the operation and the object', async () => {
    const store = createS3AttachmentStore({ bucket: 'no-such-bucket', ...connection(s3.gateway.url) });
    await expect(store.delete(['k1'])).rejects.toThrow(/^S3 DeleteObjects in no-such-bucket \(1 keys\) failed: NoSuchBucket \(HTTP 404\)/);
    await store.close();
  });
});

describe('S3 attachment store: options', () => {
  const fails = (options: unknown) => {
    try {
      createS3AttachmentStore(options as S3AttachmentStoreOptions);
    } catch (error) {
      expect(ChatError.is(error, 'VALIDATION_FAILED')).toBe(true);
      return (error as Error).message;
    }
    throw new Error('expected the options to be refused');
  };

  it('names every bad option in one VALIDATION_FAILED error', () => {
    const message = fails({ bucket: 'a/b', prefix: '/x', endpoint: 'ftp://host', forcePathStyle: 'yes', credentials: { accessKeyId: 'k' } });
    expect(message).toMatch(/^Invalid S3 attachment store options — /);
    for (const path of ['bucket:', 'prefix:', 'endpoint:', 'forcePathStyle:', 'credentials.secretAccessKey:']) expect(message).toContain(path);
  });

  it('wants a bucket, a well-formed prefix, and either a client or the settings to build one', () => {
    expect(fails(undefined)).toContain('bucket: must be the name of a bucket');
    expect(fails({ bucket: '' })).toContain('bucket: must be the name of a bucket');
    for (const prefix of ['a/../b', './x', 'a//b', 'a b/', 'ü/']) expect(fails({ bucket: 'b', prefix })).toContain('prefix:');
    for (const downloadOrigin of ['https://cdn.example.com/files', 'https://cdn.example.com/?a=1', 'ftp://cdn.example.com']) {
      expect(fails({ bucket: 'b', downloadOrigin })).toContain('downloadOrigin:');
    }
    expect(fails({ bucket: 'b', client: { send: 1 } })).toContain('client: must be an S3Client from @aws-sdk/client-s3');
    const client = new S3Client({ region: REGION, credentials: CREDENTIALS });
    expect(fails({ bucket: 'b', client, region: 'eu-west-1', endpoint: 'http://127.0.0.1:1' })).toContain(
      'client: configure the client you pass, or pass region, endpoint without one — not both',
    );
    client.destroy();
  });

  it('accepts the documented shapes', async () => {
    for (const options of [
      { bucket: 'b' },
      { bucket: 'b', prefix: 'chat/files/', region: 'eu-west-1' },
      { bucket: 'b', prefix: 'v1.2-chat_', endpoint: 'https://s3.example.com', forcePathStyle: true, credentials: { ...CREDENTIALS, sessionToken: 't' } },
      { bucket: 'b', downloadOrigin: 'https://files.example.com:8443/' },
    ]) {
      const store = createS3AttachmentStore(options);
      expect(store.prefix).toBe(options.prefix ?? '');
      await store.close();
    }
  });
});
