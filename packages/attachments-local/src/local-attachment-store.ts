import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { access } from 'node:fs/promises';
import type { AttachmentStore } from '@parley/core';
import { z } from 'zod';
import { FileFolder } from './file-folder.js';
import { LocalFileRoutes } from './http-routes.js';
import { TokenSigner } from './signed-token.js';

export interface LocalAttachmentStoreOptions {
  /** The folder the files live in (created when missing). */
  directory: string;
  /**
   * Where the store's URLs are reachable, as clients see them: a path on the page's origin
   * (`/api/files`) or an absolute URL (`https://chat.example.com/api/files`). Requests under
   * its path are answered by `handleHttpRequest`, which Parley's REST handler calls first —
   * so put it under the path where that handler is mounted.
   */
  publicUrl: string;
  /** At least 32 bytes; signs the upload and download links. Keep it secret and the same on every node. */
  secret: string | Uint8Array;
  /** Logs what failed on the store's side (a full disk). */
  onError?: (error: unknown) => void;
}

export interface LocalAttachmentStore extends AttachmentStore {
  handleHttpRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** The same, as Express/Koa-bridge/`node:http` middleware: calls `next` for anything else. */
  readonly handler: (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;
  readonly directory: string;
}

const optionsSchema = z.object({
  directory: z.string().min(1, 'must name a folder'),
  publicUrl: z
    .string()
    .refine((v) => /^\/[^?#]*[^/?#]$/.test(v) || /^https?:\/\/[^?#]+[^/?#]$/.test(v), 'must be a path like /api/files or an http(s) URL, without a trailing /'),
  secret: z.union([z.string(), z.instanceof(Uint8Array)]).refine((v) => Buffer.from(v).length >= 32, 'must be at least 32 bytes'),
});

/**
 * Attachments on local disk, the demo's default and fine for one node (or several sharing one
 * folder over NFS). Clients upload and download straight through Parley's HTTP handler with
 * short-lived signed links; a download is served with the sniffed type, `Content-Disposition`,
 * `nosniff` and a sandbox CSP, and supports byte ranges.
 */
export function createLocalAttachmentStore(options: LocalAttachmentStoreOptions): LocalAttachmentStore {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new Error(`Invalid local attachment store options — ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const directory = resolve(options.directory);
  const folder = new FileFolder(directory);
  const signer = new TokenSigner(options.secret);
  const base = options.publicUrl;
  const pathPrefix = base.startsWith('/') ? base : new URL(base).pathname;
  const routes = new LocalFileRoutes(pathPrefix, folder, signer, options.onError ?? (() => {}));
  const expiry = (date: Date) => Math.floor(date.getTime() / 1000);
  let ready: Promise<void> | null = null;
  const ensure = () => (ready ??= folder.ensure().catch((error: unknown) => {
    ready = null;
    throw error;
  }));

  const handleHttpRequest = (req: IncomingMessage, res: ServerResponse) => routes.handle(req, res);

  return {
    directory,

    async createUpload({ key, size, contentType, expiresAt }) {
      folder.path(key); // refuses a key that is not Parley's
      await ensure();
      const token = signer.sign({ op: 'put', key, size, type: contentType, exp: expiry(expiresAt) });
      return { method: 'PUT', url: `${base}/u/${token}`, headers: { 'content-type': contentType } };
    },

    async inspect(key, headBytes) {
      return folder.head(key, headBytes);
    },

    async createDownload({ key, fileName, contentType, inline, expiresAt }) {
      folder.path(key);
      const token = signer.sign({ op: 'get', key, name: fileName, type: contentType, inline, exp: expiry(expiresAt) });
      return { url: `${base}/d/${token}/${encodeURIComponent(fileName)}` };
    },

    async delete(keys) {
      await Promise.all(keys.map((key) => folder.remove(key)));
    },

    async ping() {
      await ensure();
      await access(directory);
    },

    handleHttpRequest,

    handler(req, res, next) {
      handleHttpRequest(req, res).then(
        (handled) => {
          if (!handled) next?.();
        },
        (error: unknown) => next?.(error),
      );
    },
  };
}
