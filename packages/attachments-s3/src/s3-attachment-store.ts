import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { AttachmentStore } from '@parley/core';
import { downloadHeaders } from '@parley/core/adapter-kit';
import { KEY, parseOptions, type S3AttachmentStoreOptions } from './options.js';
import { presign } from './presign.js';
import { deleteObjects, describe, httpStatus, inspectObject } from './s3-objects.js';

export interface S3AttachmentStore extends AttachmentStore {
  /** The client in use: the host's, or the one built from the options. */
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  /** HeadBucket: rejects, saying why, when the bucket is missing or these credentials may not use it. */
  ping(): Promise<void>;
  /** Destroys the client when the store built it; a host's client is left alone. */
  close(): Promise<void>;
}

/** The content headers a signed PUT covers, so S3 refuses a body of another size or type. */
const SIGNED_UPLOAD_HEADERS = ['content-length', 'content-type', 'if-none-match'];

/**
 * Attachments on S3 or any S3-compatible service. Clients upload with a presigned PUT whose
 * signature covers `Content-Length` and `Content-Type`, and download with a presigned GET
 * that makes S3 answer with the sniffed type and Parley's `Content-Disposition`; the bytes
 * never pass through Parley. `inspect` reads only the first bytes (a ranged GET).
 */
export function createS3AttachmentStore(options: S3AttachmentStoreOptions): S3AttachmentStore {
  const { bucket, prefix, client: hostClient, downloadOrigin, ...settings } = parseOptions(options);
  const owned = hostClient === undefined;
  const client = hostClient ?? new S3Client(clientConfig(settings));
  let closed = false;

  const objectKey = (key: string) => {
    if (!KEY.test(key)) throw new InvalidKeyError(`Invalid attachment key ${JSON.stringify(key)}`);
    return `${prefix}${key}`;
  };

  return {
    client,
    bucket,
    prefix,

    async createUpload({ key, size, contentType, expiresAt }) {
      if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`An upload's size must be a whole number of bytes, not ${size}`);
      // `If-None-Match: *` (signed, so a client cannot drop it) makes the PUT write once: bytes
      // that completeUpload checked cannot be replaced later under the same ticket.
      const command = new PutObjectCommand({ Bucket: bucket, Key: objectKey(key), ContentLength: size, ContentType: contentType, IfNoneMatch: '*' });
      const url = await presign(client, command, expiresAt, new Set(SIGNED_UPLOAD_HEADERS));
      // Content-Length is signed too, but a browser sets it from the body and may not be told to.
      return { method: 'PUT', url, headers: { 'content-type': contentType, 'if-none-match': '*' } };
    },

    async inspect(key, headBytes) {
      return inspectObject(client, bucket, objectKey(key), headBytes);
    },

    async createDownload({ key, fileName, contentType, inline, expiresAt }) {
      // The same type, disposition (inline only for safe images) and caching as a store that
      // serves bytes itself; `nosniff` and the CSP cannot be asked of S3 (see the README).
      const headers = downloadHeaders({ fileName, contentType, inline });
      const command = new GetObjectCommand({
        Bucket: bucket,
        Key: objectKey(key),
        ResponseContentType: headers['content-type'],
        ResponseContentDisposition: headers['content-disposition'],
        ResponseCacheControl: headers['cache-control'],
      });
      const url = await presign(client, command, expiresAt);
      return { url: downloadOrigin === undefined ? url : onOrigin(url, downloadOrigin) };
    },

    async delete(keys) {
      await deleteObjects(client, bucket, keys.map(objectKey));
    },

    async ping() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        const status = httpStatus(error);
        const why =
          status === 404
            ? 'it does not exist'
            : status === 403 || status === 401
              ? 'these credentials may not use it'
              : describe(error);
        throw new Error(`S3 bucket ${JSON.stringify(bucket)} is not usable: ${why}`, { cause: error });
      }
    },

    async close() {
      if (!owned || closed) return;
      closed = true;
      client.destroy();
    },
  };
}

export class InvalidKeyError extends Error {}

/** The signed URL with another scheme, host and port; the path and the signed query stay. */
function onOrigin(signed: string, origin: string): string {
  const url = new URL(signed);
  const target = new URL(origin);
  url.protocol = target.protocol;
  url.hostname = target.hostname;
  url.port = target.port; // '' for the scheme's default; the host setter alone would keep S3's port
  return url.toString();
}

function clientConfig(settings: Omit<ReturnType<typeof parseOptions>, 'bucket' | 'prefix' | 'client' | 'downloadOrigin'>): S3ClientConfig {
  return {
    ...(settings.region === undefined ? {} : { region: settings.region }),
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    ...(settings.forcePathStyle === undefined ? {} : { forcePathStyle: settings.forcePathStyle }),
    ...(settings.credentials === undefined ? {} : { credentials: settings.credentials }),
    // Checksums only where S3 requires them (DeleteObjects): many S3-compatible services do not
    // know the newer trailing-checksum headers, and ranged reads cannot be validated anyway.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}
