import type { AttachmentStore, DownloadRequest, UploadRequest } from '../adapters/attachment-store.js';
import { downloadHeaders } from '../adapter-kit/attachments.js';
import { newId } from '../util/ids.js';

type Grant = ({ op: 'put' } & UploadRequest) | ({ op: 'get' } & DownloadRequest);

export interface MemoryAttachmentStore extends AttachmentStore {
  /**
   * What a client's `fetch` of one of this store's URLs would get: the store's URLs live in
   * this process only (`memory://`), so tests and single-process tools call this instead.
   */
  fetch(url: string, init?: { method?: string; body?: Uint8Array | ArrayBuffer | string | null; headers?: Record<string, string> }): Promise<Response>;
  /** Stores bytes under a key as a lenient storage might (any size): for tests of Parley's own checks. */
  put(key: string, bytes: Uint8Array): void;
  /** The keys holding bytes. */
  keys(): string[];
}

/**
 * Attachments in memory: the reference for what an AttachmentStore does, and a storage for
 * tests. Links are random tokens remembered with what they allow, so a changed link is
 * unknown; uploads take exactly the granted size; downloads carry Parley's download headers.
 */
export function createMemoryAttachmentStore(options: { now?: () => number } = {}): MemoryAttachmentStore {
  const now = options.now ?? Date.now;
  const files = new Map<string, Uint8Array>();
  const grants = new Map<string, Grant>();
  const issue = (grant: Grant) => {
    const token = newId().replaceAll('-', '') + newId().replaceAll('-', '').slice(-12);
    grants.set(token, grant);
    return token;
  };
  const json = (status: number, code: string, message: string) =>
    new Response(JSON.stringify({ error: { code, message } }), { status, headers: { 'content-type': 'application/json' } });

  return {
    async createUpload(request) {
      return { method: 'PUT', url: `memory://parley-files/u/${issue({ op: 'put', ...request })}`, headers: { 'content-type': request.contentType } };
    },

    async inspect(key, headBytes) {
      const bytes = files.get(key);
      return bytes === undefined ? null : { size: bytes.length, head: bytes.slice(0, headBytes) };
    },

    async createDownload(request) {
      return { url: `memory://parley-files/d/${issue({ op: 'get', ...request })}/${encodeURIComponent(request.fileName)}` };
    },

    async delete(keys) {
      for (const key of keys) files.delete(key);
    },

    async fetch(url, init = {}) {
      const [, kind, token] = /^memory:\/\/parley-files\/(u|d)\/([^/]+)/.exec(url) ?? [];
      const grant = token === undefined ? undefined : grants.get(token);
      const method = (init.method ?? 'GET').toUpperCase();
      if (grant === undefined || (kind === 'u') !== (grant.op === 'put')) return json(403, 'FORBIDDEN', 'This link is not valid');
      if (grant.expiresAt.getTime() <= now()) return json(403, 'FORBIDDEN', 'This link has expired');
      if (grant.op === 'put') {
        if (method !== 'PUT') return json(405, 'METHOD_NOT_ALLOWED', 'Upload with PUT');
        // Write once: bytes checked by completeUpload must not be swapped under the same ticket.
        if (files.has(grant.key)) return json(409, 'CONFLICT', 'This file is uploaded already; its bytes cannot be replaced');
        const body = init.body ?? new Uint8Array(0);
        const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body instanceof ArrayBuffer ? body : body.slice());
        if (bytes.length > grant.size) return json(413, 'PAYLOAD_TOO_LARGE', `This upload takes exactly ${grant.size} bytes`);
        if (bytes.length < grant.size) return json(400, 'VALIDATION_FAILED', `The upload stopped after ${bytes.length} of ${grant.size} bytes`);
        files.set(grant.key, bytes);
        return new Response(JSON.stringify({ ok: true, size: bytes.length }), { status: 200 });
      }
      if (method !== 'GET' && method !== 'HEAD') return json(405, 'METHOD_NOT_ALLOWED', 'Download with GET');
      const bytes = files.get(grant.key);
      if (bytes === undefined) return json(404, 'NOT_FOUND', 'This file no longer exists');
      const headers = downloadHeaders({ fileName: grant.fileName, contentType: grant.contentType, inline: grant.inline });
      return new Response(method === 'HEAD' ? null : bytes.slice(), { status: 200, headers: { ...headers, 'content-length': String(bytes.length) } });
    },

    put(key, bytes) {
      files.set(key, bytes.slice());
    },

    keys() {
      return [...files.keys()];
    },
  };
}
