import { uploadTo } from '@parley/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3AttachmentStore, type S3AttachmentStore } from '../src/index.js';
import { BUCKET, connection, freshPrefix, startFakeS3, type FakeS3 } from './s3-kit.js';

/**
 * What s3rver 3.7 itself enforces on presigned requests, pinned down so the README's account
 * stays true: if a later s3rver starts checking signatures, the first tests here fail and the
 * SigV4 gateway in front of it (sigv4-gateway.ts) can go.
 */
let s3: FakeS3;
let store: S3AttachmentStore; // straight to s3rver, no gateway
beforeAll(async () => {
  s3 = await startFakeS3();
  store = createS3AttachmentStore({ bucket: BUCKET, prefix: freshPrefix('bare'), ...connection(s3.endpoint) });
});
afterAll(async () => {
  await store.close();
  await s3.stop();
});

const inAMinute = () => new Date(Date.now() + 60_000);
const bytes = (size: number) => Uint8Array.from({ length: size }, (_, i) => i & 0xff);
const withSignature = (url: string, signature: string) => {
  const u = new URL(url);
  u.searchParams.set('X-Amz-Signature', signature);
  return u.toString();
};

describe('s3rver on its own', () => {
  it('does not compute SigV4 signatures: a link with any signature serves the bytes', async () => {
    await uploadTo(await store.createUpload({ key: 'a', size: 4, contentType: 'text/plain', expiresAt: inAMinute() }), bytes(4));
    const { url } = await store.createDownload({ key: 'a', fileName: 'a.txt', contentType: 'text/plain', inline: false, expiresAt: inAMinute() });
    const forged = await fetch(withSignature(url, '0'.repeat(64)));
    expect(forged.status).toBe(200);
    expect(new Uint8Array(await forged.arrayBuffer())).toEqual(bytes(4));
  });

  it('so it stores a PUT of another size or type than the one signed, as it came', async () => {
    const ticket = await store.createUpload({ key: 'b', size: 100, contentType: 'image/png', expiresAt: inAMinute() });
    const response = await fetch(ticket.url, { method: 'PUT', headers: { 'content-type': 'text/html' }, body: bytes(5_000) });
    expect(response.status).toBe(200);
    expect((await store.inspect('b', 1))?.size).toBe(5_000); // inspect still reports the truth, which is what Parley checks
  });

  it('has no private buckets: an unsigned request reads and writes', async () => {
    const url = `${s3.endpoint}/${BUCKET}/${store.prefix}anonymous`;
    expect((await fetch(url, { method: 'PUT', body: bytes(3) })).status).toBe(200);
    const read = await fetch(url);
    expect(read.status).toBe(200);
    expect(new Uint8Array(await read.arrayBuffer())).toEqual(bytes(3));
  });

  it('does check the access key and the expiry of a presigned URL', async () => {
    const { url } = await store.createDownload({ key: 'a', fileName: 'a.txt', contentType: 'text/plain', inline: false, expiresAt: new Date(Date.now() + 1_000) });
    const unknownKey = new URL(url);
    unknownKey.searchParams.set('X-Amz-Credential', unknownKey.searchParams.get('X-Amz-Credential')!.replace(/^[^/]+/, 'NOBODY'));
    const refused = await fetch(unknownKey);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('InvalidAccessKeyId');

    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const late = await fetch(url);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('Request has expired');
  });
});
