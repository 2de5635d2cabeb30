import { downloadHeaders } from '@parley/core/adapter-kit';
import { runAttachmentStorageConformance } from '@parley/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3AttachmentStore, type S3AttachmentStore } from '../src/index.js';
import { startHeaderProxy } from './header-proxy.js';
import { BUCKET, connection, freshPrefix, startFakeS3, type FakeS3 } from './s3-kit.js';

// s3rver, behind the gateway that checks SigV4 signatures as S3 does (s3rver does not);
// each test gets its own prefix in one bucket.
let s3: FakeS3;
let proxy: { url: string; close(): Promise<void> };
beforeAll(async () => {
  s3 = await startFakeS3();
  const { 'x-content-type-options': nosniff, 'content-security-policy': csp } = downloadHeaders({ fileName: 'a', contentType: 'text/plain', inline: false });
  proxy = await startHeaderProxy(s3.gateway.url, { 'x-content-type-options': nosniff!, 'content-security-policy': csp! });
});
afterAll(async () => {
  await proxy.close();
  await s3.stop();
});

const destroyStorage = (storage: unknown) => (storage as S3AttachmentStore).close();

runAttachmentStorageConformance({
  name: 'S3 (s3rver)',
  describe,
  it,
  // A presigned GET cannot add X-Content-Type-Options; the README says where to add it.
  servesNosniff: false,
  createStorage: () => createS3AttachmentStore({ bucket: BUCKET, prefix: freshPrefix('conf'), ...connection(s3.gateway.url) }),
  destroyStorage,
});

// The production setup the README describes: download links on a proxy's origin that adds
// nosniff and the CSP. The whole suite holds, nosniff included.
runAttachmentStorageConformance({
  name: 'S3 (s3rver), downloads through a header-adding proxy',
  describe,
  it,
  createStorage: () => createS3AttachmentStore({ bucket: BUCKET, prefix: freshPrefix('proxied'), ...connection(s3.gateway.url), downloadOrigin: proxy.url }),
  destroyStorage,
});

// The suite allows a store to refuse or to keep an upload of the wrong size; S3 refuses (the
// size is signed), and so must the runs above: tampered links, the forged upload and both
// mis-sized uploads all met the signature check.
it('the suite ran against signature checks: the gateway refused what S3 would', () => {
  expect(s3.gateway.refused.get('SignatureDoesNotMatch') ?? 0).toBeGreaterThanOrEqual(10);
});
