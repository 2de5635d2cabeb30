import type { AttachmentInfo, UploadSlot } from '@parley/core/protocol';
import { ClientError } from './errors.js';

/** A file to upload: a `File` in browsers, any `Blob` (with `name`) elsewhere. */
export type UploadBody = Blob & { readonly name?: string };

export interface UploadOptions {
  /** The file's name; default the `File`'s own (a bare `Blob` needs one). */
  name?: string;
  /** The declared type; default the `Blob`'s, else `application/octet-stream`. Parley sniffs the real one. */
  mimeType?: string;
  /** Bytes sent so far, of `total`. Called often in browsers (XHR); in Node once, at the end. */
  onProgress?: (sent: number, total: number) => void;
  /** Stops the transfer; the upload rejects with `CLOSED` (the slot expires by itself). */
  signal?: AbortSignal;
}

/** Puts a file's bytes where `create_upload` said: XHR in browsers (for progress), fetch elsewhere. */
export type PutBytes = (ticket: UploadSlot['upload'], body: Blob, options: Pick<UploadOptions, 'onProgress' | 'signal'>) => Promise<void>;

/**
 * The three steps of an upload (PROTOCOL.md, Files): ask for a slot, send the bytes straight to
 * the URL it names (never over the socket), then have Parley check them. Resolves with the
 * completed attachment, whose id a `sendMessage({ attachmentIds })` then uses.
 */
export async function uploadFile(
  requests: {
    createUpload(data: { conversationId: string; name: string; mimeType: string; size: number }): Promise<UploadSlot>;
    completeUpload(attachmentId: string): Promise<AttachmentInfo>;
  },
  put: PutBytes,
  conversationId: string,
  file: UploadBody,
  options: UploadOptions = {},
): Promise<AttachmentInfo> {
  const name = options.name ?? file.name;
  if (name === undefined || name === '') throw new ClientError('VALIDATION_FAILED', 'A file needs a name: pass { name } for a Blob', { field: 'name' });
  const mimeType = options.mimeType ?? (/^[\w.+-]+\/[\w.+-]+$/.test(file.type) ? file.type : 'application/octet-stream');
  if (options.signal?.aborted === true) throw aborted();
  const slot = await requests.createUpload({ conversationId, name, mimeType, size: file.size });
  await put(slot.upload, file, options);
  return requests.completeUpload(slot.attachment.id);
}

const aborted = () => new ClientError('CLOSED', 'The upload was cancelled');

/** A refused upload request: the storage's status as the nearest Parley code. */
function httpError(status: number, text: string): ClientError {
  const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 403 ? 'FORBIDDEN' : status === 400 ? 'VALIDATION_FAILED' : status === 404 ? 'NOT_FOUND' : 'UNAVAILABLE';
  return new ClientError(code, `The upload was refused (HTTP ${status}${text === '' ? '' : `: ${text.slice(0, 200)}`})`);
}

interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: Blob): void;
  abort(): void;
  status: number;
  responseText: string;
  upload: { onprogress: ((event: { loaded: number; total: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

/**
 * The default `PutBytes`: `XMLHttpRequest` where there is one (it alone reports upload
 * progress in browsers), else `fetch`. A relative URL is resolved against `base` (the page's
 * origin in browsers, the server's for Node).
 */
export function defaultPutBytes(base: string): PutBytes {
  const XHR = (globalThis as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest;
  return async (ticket, body, { onProgress, signal }) => {
    const url = new URL(ticket.url, base).toString();
    if (XHR !== undefined) {
      await new Promise<void>((resolve, reject) => {
        const xhr = new XHR();
        xhr.open(ticket.method, url);
        for (const [name, value] of Object.entries(ticket.headers)) xhr.setRequestHeader(name, value);
        xhr.upload.onprogress = (event) => onProgress?.(event.loaded, event.total || body.size);
        xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(httpError(xhr.status, xhr.responseText)));
        xhr.onerror = () => reject(new ClientError('UNAVAILABLE', 'The upload failed: the network dropped'));
        xhr.onabort = () => reject(aborted());
        signal?.addEventListener('abort', () => xhr.abort(), { once: true });
        xhr.send(body);
      });
    } else {
      const fetchImpl = (globalThis as { fetch?: typeof fetch }).fetch;
      if (fetchImpl === undefined) throw new TypeError('No fetch or XMLHttpRequest here to upload with');
      let response: Response;
      try {
        response = await fetchImpl(url, { method: ticket.method, headers: ticket.headers, body, ...(signal === undefined ? {} : { signal }) });
      } catch (error) {
        if (signal?.aborted === true) throw aborted();
        throw new ClientError('UNAVAILABLE', `The upload failed: ${String(error)}`, undefined, { cause: error });
      }
      if (!response.ok) throw httpError(response.status, await response.text().catch(() => ''));
    }
    onProgress?.(body.size, body.size);
  };
}
