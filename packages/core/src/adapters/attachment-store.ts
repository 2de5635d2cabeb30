/**
 * Where the bytes of uploaded files live: local disk, S3 or anything S3-compatible.
 *
 * Parley keeps an attachment's row (who uploaded it, for which conversation, whether it is
 * complete and which message uses it) in the `ChatStore`; this contract only moves bytes.
 * Clients upload and download **directly** against the URLs it signs, so file bytes never
 * pass through Parley's services: Parley decides who may upload and download, and checks
 * what arrived (`inspect`) before a message may use it.
 *
 * Keys are opaque strings made by Parley (letters, digits, `-` and `_`); an implementation may
 * prefix them but must not interpret them.
 */
export interface AttachmentStore {
  /**
   * A signed, expiring request with which a client uploads exactly `size` bytes under `key`.
   * Bytes are written once: an upload under a key that holds bytes is refused (a 4xx), so what
   * `completeUpload` checked is what members download. Of two uploads racing, one is stored
   * whole.
   */
  createUpload(request: UploadRequest): Promise<UploadTicket>;
  /**
   * What is stored under `key`: its size and its first `headBytes` bytes (fewer when the
   * object is shorter), for sniffing its real type; null when nothing was uploaded.
   */
  inspect(key: string, headBytes: number): Promise<StoredObject | null>;
  /**
   * A signed URL that serves the bytes until `expiresAt` with the given type and a
   * `Content-Disposition` of `inline` or `attachment` with the file name.
   */
  createDownload(request: DownloadRequest): Promise<{ url: string }>;
  /** Deletes the objects; keys with nothing stored are ignored. */
  delete(keys: string[]): Promise<void>;
  /**
   * For stores that serve bytes through the host's own HTTP server (local disk): answers the
   * request when it is one of the store's URLs (true), else leaves it (false). Parley's REST
   * handler calls it before its own routes, so mounting that handler mounts these too.
   * `req` and `res` are Node's `IncomingMessage` and `ServerResponse`.
   */
  handleHttpRequest?(req: unknown, res: unknown): Promise<boolean>;
  /** Resolves when the storage answers (`/health`). */
  ping?(): Promise<void>;
  close?(): Promise<void>;
}

export interface UploadRequest {
  key: string;
  /** Exact byte count the upload must have. */
  size: number;
  /** The type the client declared; sent back as the upload's `Content-Type`. */
  contentType: string;
  expiresAt: Date;
}

/** How the client uploads: `fetch(url, { method, headers, body })`. */
export interface UploadTicket {
  method: 'PUT' | 'POST';
  url: string;
  /** Headers the client must send with the bytes (the signature may cover them). */
  headers: Record<string, string>;
}

export interface StoredObject {
  size: number;
  head: Uint8Array;
}

export interface DownloadRequest {
  key: string;
  /** The sanitised file name, for `Content-Disposition`. */
  fileName: string;
  /** The sniffed type the bytes are served as. */
  contentType: string;
  /** `inline` only for image types a browser renders safely; everything else downloads. */
  inline: boolean;
  expiresAt: Date;
}
