import { createHmac, timingSafeEqual } from 'node:crypto';

/** What an upload token allows: `size` bytes under `key` until `exp` (epoch seconds). */
export interface UploadGrant {
  op: 'put';
  key: string;
  size: number;
  type: string;
  exp: number;
}

/** What a download token allows: serving `key` as `type`, named `name`, until `exp`. */
export interface DownloadGrant {
  op: 'get';
  key: string;
  name: string;
  type: string;
  inline: boolean;
  exp: number;
}

export type Grant = UploadGrant | DownloadGrant;

/**
 * Short-lived capabilities in URLs: the grant as base64url JSON, a dot, and its HMAC-SHA256.
 * Whoever holds the URL may do what it says until it expires, which is what a presigned S3
 * URL is too; the grant names its operation, so a download link never uploads.
 */
export class TokenSigner {
  private readonly secret: Buffer;

  constructor(secret: string | Uint8Array) {
    this.secret = Buffer.from(secret);
    if (this.secret.length < 32) throw new Error('The attachment signing secret must be at least 32 bytes');
  }

  sign(grant: Grant): string {
    const payload = Buffer.from(JSON.stringify(grant)).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The grant, when the token is intact, of the expected operation and not expired; else why not. */
  verify<O extends Grant['op']>(token: string, op: O, nowMs = Date.now()): Extract<Grant, { op: O }> | 'invalid' | 'expired' {
    const dot = token.indexOf('.');
    if (dot <= 0) return 'invalid';
    const payload = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.mac(payload), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    let grant: Grant;
    try {
      grant = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Grant;
    } catch {
      return 'invalid';
    }
    if (grant.op !== op) return 'invalid';
    if (grant.exp * 1000 <= nowMs) return 'expired';
    return grant as Extract<Grant, { op: O }>;
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}
