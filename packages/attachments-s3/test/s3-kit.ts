import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { startSigV4Gateway, type SigV4Gateway } from './sigv4-gateway.js';

// The SDK warns once per process that its 2027 releases will want Node 22; Parley targets 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** s3rver knows one key pair, built in (lib/models/account.js). */
export const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const BUCKET = 'parley-test';
export const REGION = 'us-east-1';

/**
 * A real S3-compatible server in this process: s3rver on a loopback port, its files in a
 * temporary folder, one bucket. `gateway` puts the SigV4 check s3rver lacks in front of it
 * (see sigv4-gateway.ts); `endpoint` is s3rver itself.
 */
export interface FakeS3 {
  readonly endpoint: string;
  readonly gateway: SigV4Gateway;
  readonly directory: string;
  stop(): Promise<void>;
}

export async function startFakeS3(): Promise<FakeS3> {
  const directory = mkdtempSync(join(tmpdir(), 'parley-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const gateway = await startSigV4Gateway(endpoint, { [CREDENTIALS.accessKeyId]: CREDENTIALS.secretAccessKey });
  return {
    endpoint,
    gateway,
    directory,
    async stop() {
      await gateway.close();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

let prefixes = 0;
/** A prefix no other test in this process uses. */
export const freshPrefix = (label = 't') => `${label}-${process.pid}-${Date.now().toString(36)}-${++prefixes}/`;

/** The options that reach `endpoint` with s3rver's key pair. */
export const connection = (endpoint: string) => ({ endpoint, region: REGION, forcePathStyle: true, credentials: CREDENTIALS });
