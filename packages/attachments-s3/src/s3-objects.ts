import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { StoredObject } from '@parley/core';

/** DeleteObjects takes at most this many keys per request. */
export const DELETE_BATCH = 1_000;

/** An S3 call's failure, naming what was attempted, with the SDK's error as `cause`. */
export function s3Failure(what: string, error: unknown): Error {
  return new Error(`S3 ${what} failed: ${describe(error)}`, { cause: error });
}

export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = httpStatus(error);
  const message = error.message && error.message !== 'UnknownError' ? `: ${error.message}` : '';
  return `${error.name}${status === undefined ? '' : ` (HTTP ${status})`}${message}`;
}

export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** A missing object, as opposed to a missing bucket (a misconfiguration that must not read as "nothing uploaded"). */
function isMissingObject(error: unknown): boolean {
  return error instanceof Error && error.name !== 'NoSuchBucket' && (error.name === 'NoSuchKey' || error.name === 'NotFound' || httpStatus(error) === 404);
}

/**
 * The object's size and first `headBytes` bytes. HeadObject says whether there is anything
 * and how big; a ranged GetObject then reads the head, and its `Content-Range` total is the
 * size reported, so size and head always describe the same version of the object even if
 * it is replaced in between. An empty object is never range-read: S3 answers 416 to any range
 * on it (and s3rver answers a broken 206).
 */
export async function inspectObject(client: S3Client, bucket: string, key: string, headBytes: number): Promise<StoredObject | null> {
  for (let attempt = 0; ; attempt++) {
    let size: number;
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      size = head.ContentLength ?? 0;
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw s3Failure(`HeadObject ${bucket}/${key}`, error);
    }
    const wanted = Math.min(Math.max(0, Math.floor(headBytes)), size);
    if (wanted === 0) return { size, head: new Uint8Array(0) };
    try {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${wanted - 1}` }));
      const total = /\/(\d+)$/.exec(got.ContentRange ?? '')?.[1];
      // A server that ignores Range sends the whole object (200): read only the head of it.
      const head = await readAtMost(got.Body, wanted);
      return { size: total === undefined ? (got.ContentLength ?? head.length) : Number(total), head };
    } catch (error) {
      // Deleted or shrunk to nothing between the two calls: look again, once.
      const raced = isMissingObject(error) || httpStatus(error) === 416;
      if (raced && attempt === 0) continue;
      if (isMissingObject(error)) return null;
      throw s3Failure(`GetObject ${bucket}/${key} (range 0-${wanted - 1})`, error);
    }
  }
}

/** Reads up to `limit` bytes of a response body and lets go of the rest. */
async function readAtMost(body: unknown, limit: number): Promise<Uint8Array> {
  if (body === undefined || body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Leaving the loop early destroys the stream (and its connection) instead of reading on.
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    total += chunk.length;
    if (total >= limit) break;
  }
  const all = Buffer.concat(chunks);
  return new Uint8Array(all.buffer, all.byteOffset, Math.min(limit, all.length));
}

/**
 * Deletes the objects, `DELETE_BATCH` keys per DeleteObjects request. Keys with nothing stored
 * count as deleted (S3 says so too); any other per-key error fails the call, naming the keys.
 */
export async function deleteObjects(client: S3Client, bucket: string, keys: string[]): Promise<void> {
  const unique = [...new Set(keys)];
  for (let start = 0; start < unique.length; start += DELETE_BATCH) {
    const batch = unique.slice(start, start + DELETE_BATCH);
    let errors;
    try {
      const result = await client.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      errors = (result.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
    } catch (error) {
      throw s3Failure(`DeleteObjects in ${bucket} (${batch.length} keys)`, error);
    }
    if (errors.length > 0) {
      const sample = errors.slice(0, 3).map((e) => `${e.Key}: ${e.Code ?? 'error'}${e.Message ? ` (${e.Message})` : ''}`);
      throw new Error(`S3 DeleteObjects in ${bucket} could not delete ${errors.length} of ${batch.length} keys — ${sample.join('; ')}${errors.length > 3 ? '; …' : ''}`);
    }
  }
}
