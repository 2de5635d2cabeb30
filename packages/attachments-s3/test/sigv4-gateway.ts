import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * s3rver checks that a SigV4 request names a known access key and, for a presigned URL, that
 * it has not expired — but it never computes the signature ("Signature version 4 calculation
 * is unimplemented", lib/middleware/authentication.js). So a tampered or forged URL, or a PUT
 * of another size than the one signed, is accepted there and would be refused by S3.
 *
 * This gateway adds exactly that check in front of s3rver, written from the SigV4 spec
 * independently of the SDK that signs: it recomputes the signature of each request (presigned
 * query or Authorization header) from the request as it arrived — method, path, query, the
 * signed headers' values — and answers 403 SignatureDoesNotMatch like S3 when it differs.
 * Everything else (storage, expiry, ranges, response header overrides) is s3rver's.
 * Not checked: that a header-signed request's body matches its declared x-amz-content-sha256.
 */
export interface SigV4Gateway {
  /** The endpoint to give the S3 client. */
  readonly url: string;
  /** Requests refused, by S3 error code. */
  readonly refused: Map<string, number>;
  close(): Promise<void>;
}

export async function startSigV4Gateway(target: string, secrets: Record<string, string>): Promise<SigV4Gateway> {
  const upstream = new URL(target);
  const refused = new Map<string, number>();

  // Keys with a conditional PUT in flight: S3 answers a second one 409 ConditionalRequestConflict.
  const writing = new Set<string>();
  const server: Server = createServer(async (req, res) => {
    let problem = verify(req, secrets);
    const path = (req.url ?? '/').split('?')[0]!;
    const writeOnce = problem === null && req.method === 'PUT' && req.headers['if-none-match'] === '*';
    if (writeOnce) {
      if (writing.has(path)) problem = { status: 409, code: 'ConditionalRequestConflict', message: 'A conflicting conditional operation is in progress' };
      else if (await objectExists(upstream, path)) problem = { status: 412, code: 'PreconditionFailed', message: 'At least one of the preconditions you specified did not hold' };
    }
    if (problem !== null) {
      refused.set(problem.code, (refused.get(problem.code) ?? 0) + 1);
      req.resume(); // S3 answers before reading the body; drain it so the connection stays usable
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${problem.code}</Code><Message>${problem.message}</Message></Error>`;
      res.writeHead(problem.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    if (writeOnce) {
      writing.add(path);
      res.once('close', () => writing.delete(path));
    }
    proxy(req, res, upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * s3rver ignores `If-None-Match` on PUT (conditional writes came to S3 in 2024); the gateway
 * enforces it as S3 does, asking s3rver whether the object exists (an unsigned HEAD straight
 * to s3rver, which has no ACLs), and answering 409 to a second conditional PUT of a key while
 * one is in flight, as S3 does.
 */
function objectExists(upstream: URL, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const head = forward({ host: upstream.hostname, port: upstream.port, method: 'HEAD', path, headers: { host: upstream.host } }, (answer) => {
      answer.resume();
      resolve(answer.statusCode === 200);
    });
    head.on('error', () => resolve(false));
    head.end();
  });
}

function proxy(req: IncomingMessage, res: ServerResponse, upstream: URL): void {
  const out = forward(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', (error) => {
    if (!res.headersSent) res.writeHead(502).end(String(error));
    else res.destroy(error);
  });
  req.pipe(out);
}

interface Problem {
  status: number;
  code: string;
  message: string;
}

const denied = (code: string, message: string): Problem => ({ status: 403, code, message });

/** Null when the request's signature is right. */
function verify(req: IncomingMessage, secrets: Record<string, string>): Problem | null {
  const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split(/\?(.*)/s);
  const query = rawQuery === '' ? [] : rawQuery.split('&').map((pair): [string, string] => {
    const at = pair.indexOf('=');
    return at === -1 ? [decodeURIComponent(pair), ''] : [decodeURIComponent(pair.slice(0, at)), decodeURIComponent(pair.slice(at + 1))];
  });
  const param = (name: string) => query.find(([k]) => k === name)?.[1];

  let credential: string, signedHeaders: string, signature: string, amzDate: string, payloadHash: string;
  const authorization = req.headers.authorization;
  if (param('X-Amz-Signature') !== undefined) {
    credential = param('X-Amz-Credential') ?? '';
    signedHeaders = param('X-Amz-SignedHeaders') ?? '';
    signature = param('X-Amz-Signature') ?? '';
    amzDate = param('X-Amz-Date') ?? '';
    payloadHash = param('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
  } else if (authorization?.startsWith('AWS4-HMAC-SHA256 ')) {
    const fields = Object.fromEntries(
      authorization
        .slice('AWS4-HMAC-SHA256 '.length)
        .split(',')
        .map((part) => part.trim().split(/=(.*)/s) as [string, string]),
    );
    credential = fields.Credential ?? '';
    signedHeaders = fields.SignedHeaders ?? '';
    signature = fields.Signature ?? '';
    amzDate = String(req.headers['x-amz-date'] ?? '');
    payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
  } else {
    // The bucket is private, as Parley's must be: S3 refuses anonymous requests; s3rver serves them.
    return denied('AccessDenied', 'Access Denied');
  }

  const [accessKeyId = '', date = '', region = '', service = '', terminator = ''] = credential.split('/');
  const secret = secrets[accessKeyId];
  if (secret === undefined) return denied('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  if (terminator !== 'aws4_request' || !amzDate.startsWith(date)) return denied('AuthorizationQueryParametersError', 'Malformed credential scope.');

  const headerNames = signedHeaders.split(';');
  if (!headerNames.includes('host')) return denied('AccessDenied', 'The host header must be signed.');
  const canonicalHeaders = headerNames.map((name) => `${name}:${headerValue(req, name)}\n`).join('');
  const canonicalQuery = query
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [encode(name), encode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  // S3 encodes each path segment once (no double encoding, unlike other services).
  const canonicalPath = rawPath.split('/').map((segment) => encode(decodeURIComponent(segment))).join('/');
  const canonicalRequest = [req.method, canonicalPath, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = [date, region, service, 'aws4_request'].reduce<Buffer>((k, part) => hmac(k, part), Buffer.from(`AWS4${secret}`));
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return denied('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  }
  return null;
}

/** A header's value as SigV4 canonicalizes it: trimmed, inner runs of spaces folded to one. */
function headerValue(req: IncomingMessage, name: string): string {
  const raw = req.headers[name];
  const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  return value.trim().replace(/\s+/g, ' ');
}

/** RFC 3986 unreserved characters stay; everything else is %XX (UTF-8), as SigV4 asks. */
function encode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
