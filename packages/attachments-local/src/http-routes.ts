import type { IncomingMessage, ServerResponse } from 'node:http';
import { downloadHeaders } from '@parley/core/adapter-kit';
import type { FileFolder } from './file-folder.js';
import type { TokenSigner } from './signed-token.js';

type Reply = { status: number; code: string; message: string };

/**
 * The store's two URLs under its public path:
 * - `PUT <path>/u/<token>` — the upload, exactly the granted number of bytes;
 * - `GET|HEAD <path>/d/<token>/<name>` — the download, with Parley's download headers and
 *   single byte ranges (so video and audio can seek).
 * Tokens are capabilities, not cookies, so any origin may use them (CORS `*`).
 */
export class LocalFileRoutes {
  constructor(
    private readonly pathPrefix: string,
    private readonly folder: FileFolder,
    private readonly signer: TokenSigner,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** True when the request was one of this store's and has been answered. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    // Express strips the mount path from `url`; `originalUrl` keeps it.
    const raw = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const path = new URL(raw, 'http://localhost').pathname;
    if (!path.startsWith(`${this.pathPrefix}/`)) return false;
    const [kind, token] = path.slice(this.pathPrefix.length + 1).split('/');
    if ((kind !== 'u' && kind !== 'd') || token === undefined || token === '') return false;
    try {
      if (req.method === 'OPTIONS') return this.preflight(res);
      if (kind === 'u') await this.upload(req, res, token);
      else await this.download(req, res, token);
    } catch (error) {
      this.onError(error);
      if (!res.headersSent) this.reply(res, { status: 500, code: 'INTERNAL', message: 'Internal error' });
      else res.destroy();
    }
    return true;
  }

  private preflight(res: ServerResponse): true {
    res.writeHead(204, {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, HEAD, PUT',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '600',
    });
    res.end();
    return true;
  }

  private async upload(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    if (req.method !== 'PUT') return this.reply(res, { status: 405, code: 'METHOD_NOT_ALLOWED', message: 'Upload with PUT' }, { allow: 'PUT' });
    const grant = this.signer.verify(token, 'put');
    if (grant === 'invalid') return this.refuse(req, res, { status: 403, code: 'FORBIDDEN', message: 'This upload link is not valid' });
    if (grant === 'expired') return this.refuse(req, res, { status: 403, code: 'FORBIDDEN', message: 'This upload link has expired; ask for a new one' });
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > grant.size) {
      return this.refuse(req, res, { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `This upload takes exactly ${grant.size} bytes` });
    }
    const outcome = await this.folder.write(grant.key, grant.size, req);
    switch (outcome.kind) {
      case 'stored':
        return this.reply(res, { status: 200, code: 'OK', message: 'Stored' }, {}, { ok: true, size: outcome.size });
      case 'exists':
        return this.refuse(req, res, { status: 409, code: 'CONFLICT', message: 'This file is uploaded already; its bytes cannot be replaced' });
      case 'too-large':
        return this.refuse(req, res, { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `This upload takes exactly ${grant.size} bytes` });
      case 'short':
        return this.reply(res, { status: 400, code: 'VALIDATION_FAILED', message: `The upload stopped after ${outcome.size} of ${grant.size} bytes; nothing was stored` });
      case 'failed':
        this.onError(outcome.error);
        return this.reply(res, { status: 503, code: 'UNAVAILABLE', message: 'The file could not be stored; try again later' });
      case 'aborted':
        res.destroy();
        return;
    }
  }

  private async download(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.reply(res, { status: 405, code: 'METHOD_NOT_ALLOWED', message: 'Download with GET' }, { allow: 'GET, HEAD' });
    const grant = this.signer.verify(token, 'get');
    if (grant === 'invalid') return this.reply(res, { status: 403, code: 'FORBIDDEN', message: 'This download link is not valid' });
    if (grant === 'expired') return this.reply(res, { status: 403, code: 'FORBIDDEN', message: 'This download link has expired; ask for a new one' });
    const size = await this.folder.size(grant.key);
    if (size === null) return this.reply(res, { status: 404, code: 'NOT_FOUND', message: 'This file no longer exists' });
    const headers: Record<string, string> = {
      ...downloadHeaders({ fileName: grant.name, contentType: grant.type, inline: grant.inline }),
      'access-control-allow-origin': '*',
      'accept-ranges': 'bytes',
    };
    const range = parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
      res.end();
      return;
    }
    const status = range === null ? 200 : 206;
    const span = range ?? { start: 0, end: size - 1 };
    res.writeHead(status, {
      ...headers,
      'content-length': String(Math.max(0, span.end - span.start + 1)),
      ...(range === null ? {} : { 'content-range': `bytes ${span.start}-${span.end}/${size}` }),
    });
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    const stream = this.folder.read(grant.key, span);
    stream.once('error', (error) => {
      this.onError(error);
      res.destroy();
    });
    stream.pipe(res);
  }

  /** Answers and closes the connection: the client may still be sending a body we refused. */
  private refuse(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
    this.reply(res, reply, { connection: 'close' });
    req.resume();
  }

  private reply(res: ServerResponse, reply: Reply, headers: Record<string, string> = {}, body?: unknown): void {
    const json = JSON.stringify(body ?? { error: { code: reply.code, message: reply.message } });
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(json)),
      'cache-control': 'no-store',
      'access-control-allow-origin': '*',
      'x-content-type-options': 'nosniff',
      ...headers,
    });
    res.end(json);
  }
}

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; several ranges are served whole (null). */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'unsatisfiable' {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return null;
  const [, from, to] = match;
  if (from === '' && to === '') return null;
  let start: number;
  let end: number;
  if (from === '') {
    start = Math.max(0, size - Number(to));
    end = size - 1;
  } else {
    start = Number(from);
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
