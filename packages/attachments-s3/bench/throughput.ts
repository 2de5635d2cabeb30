import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createS3AttachmentStore } from '../src/index.js';
import { startSigV4Gateway } from '../test/sigv4-gateway.js';
import { BUCKET, connection, CREDENTIALS, freshPrefix, startFakeS3 } from '../test/s3-kit.js';

/**
 * Upload and download throughput of one file through the S3 store on s3rver (loopback, files
 * in a temp folder): a presigned PUT of the whole file with `fetch`, as a client would, then a
 * presigned GET read to the end. Prints MB/s (10^6 bytes) per round and the median; asserts
 * nothing about speed. s3rver runs in a process of its own, as a storage service would;
 * `--in-process` runs it in this one, as the tests do (client and server then share one event
 * loop). `--mb N` (default 100), `--rounds N` (default 5), `--gateway` to go through the
 * tests' SigV4-checking proxy instead of straight to s3rver.
 */
export async function main(args: string[]): Promise<void> {
  const flag = (name: string, fallback: number) => {
    const at = args.indexOf(`--${name}`);
    return at === -1 ? fallback : Number(args[at + 1]);
  };
  const megabytes = flag('mb', 100);
  const rounds = flag('rounds', 5);
  const size = megabytes * 1_000_000;
  const s3 = args.includes('--in-process') ? await inProcess() : await separateProcess();
  const gateway = args.includes('--gateway') ? await startSigV4Gateway(s3.endpoint, { [CREDENTIALS.accessKeyId]: CREDENTIALS.secretAccessKey }) : null;
  const endpoint = gateway?.url ?? s3.endpoint;
  const store = createS3AttachmentStore({ bucket: BUCKET, prefix: freshPrefix('bench'), ...connection(endpoint) });
  const body = randomBytes(size);
  const up: number[] = [];
  const down: number[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const key = `file${round}`;
      const expiresAt = new Date(Date.now() + 600_000);
      const ticket = await store.createUpload({ key, size, contentType: 'application/octet-stream', expiresAt });
      let started = performance.now();
      const put = await fetch(ticket.url, { method: ticket.method, headers: ticket.headers, body });
      await put.arrayBuffer();
      const putSeconds = (performance.now() - started) / 1000;
      if (!put.ok) throw new Error(`upload answered ${put.status}`);
      const stored = await store.inspect(key, 16);
      if (stored?.size !== size || !Buffer.from(stored.head).equals(body.subarray(0, 16))) throw new Error('inspect does not match the upload');

      const { url } = await store.createDownload({ key, fileName: 'big.bin', contentType: 'application/octet-stream', inline: false, expiresAt });
      started = performance.now();
      const get = await fetch(url);
      let received = 0;
      for await (const chunk of get.body!) received += (chunk as Uint8Array).length;
      const getSeconds = (performance.now() - started) / 1000;
      if (!get.ok || received !== size) throw new Error(`download answered ${get.status} with ${received} bytes`);

      up.push(megabytes / putSeconds);
      down.push(megabytes / getSeconds);
      console.log(`round ${round}: upload ${fmt(up.at(-1)!)} MB/s (${putSeconds.toFixed(2)} s), download ${fmt(down.at(-1)!)} MB/s (${getSeconds.toFixed(2)} s)`);
      await store.delete([key]);
    }
    const where = `${args.includes('--in-process') ? 'in this process' : 'in its own process'}${gateway === null ? '' : ', behind the SigV4 gateway'}`;
    console.log(`${megabytes} MB through @parley/attachments-s3 on s3rver ${where}, median of ${rounds}: upload ${fmt(median(up))} MB/s, download ${fmt(median(down))} MB/s`);
  } finally {
    await store.close();
    await gateway?.close();
    await s3.stop();
  }
}

async function inProcess(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const s3 = await startFakeS3();
  return { endpoint: s3.endpoint, stop: () => s3.stop() };
}

async function separateProcess(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  // This file runs bundled from bench/dist/; the child script stays in bench/.
  const child = fork(fileURLToPath(new URL('../s3rver-process.mjs', import.meta.url)), [BUCKET]);
  const { endpoint } = await new Promise<{ endpoint: string }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as { endpoint: string }));
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code}) before it listened`)));
  });
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (value: number) => value.toFixed(0);
