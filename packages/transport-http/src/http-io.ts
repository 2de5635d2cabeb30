import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChatError, type ErrorCode } from '@parley/core';

/** SPEC §4: the HTTP status of each error code. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  METHOD_NOT_ALLOWED: 405,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** `{ error: { code, message, details? } }` with the status of its code. */
export function sendError(res: ServerResponse, error: ChatError, headers: Record<string, string> = {}): void {
  const retry = error.details?.retryAfterMs;
  const extra = typeof retry === 'number' ? { 'retry-after': String(Math.ceil(retry / 1000)), ...headers } : headers;
  sendJson(res, STATUS_BY_CODE[error.code], { error: error.toJSON() }, extra);
}

/**
 * Reads a JSON body of at most `limit` bytes. An empty body is `{}`; anything else must be
 * a JSON object. Oversize bodies are refused as soon as they pass the limit.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  // A body parser mounted before Parley (`app.use(express.json())`) has read the stream
  // already and left the result on `req.body`: use it rather than wait for bytes that are gone.
  const preParsed = (req as IncomingMessage & { body?: unknown; _body?: boolean }).body;
  if (preParsed !== undefined && (req.readableEnded || (req as { _body?: boolean })._body === true)) {
    if (typeof preParsed === 'object' && preParsed !== null && !Array.isArray(preParsed) && !Buffer.isBuffer(preParsed)) return preParsed as Record<string, unknown>;
    if (typeof preParsed === 'string' && preParsed.trim() !== '') return parseObject(preParsed);
    if (Buffer.isBuffer(preParsed) && preParsed.length > 0) return parseObject(preParsed.toString('utf8'));
    if (!req.readableEnded) throw ChatError.validation('body', 'must be a JSON object');
    return {};
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new ChatError('PAYLOAD_TOO_LARGE', `The body must be at most ${limit} bytes`, { field: 'body', limit });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new ChatError('PAYLOAD_TOO_LARGE', `The body must be at most ${limit} bytes`, { field: 'body', limit });
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) throw ChatError.validation('body', 'must be sent as application/json');
  return parseObject(text);
}

function parseObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw ChatError.validation('body', 'is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw ChatError.validation('body', 'must be a JSON object');
  return value as Record<string, unknown>;
}

/** Query values as the services expect them: numbers, booleans, strings; empty means absent. */
export const query = {
  string(params: URLSearchParams, name: string): string | undefined {
    const value = params.get(name);
    return value === null || value === '' ? undefined : value;
  },
  /** A number, or NaN for text that is not one (so the service names the field). */
  number(params: URLSearchParams, name: string): number | undefined {
    const value = params.get(name);
    if (value === null || value.trim() === '') return undefined;
    return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
  },
  boolean(params: URLSearchParams, name: string): boolean | undefined {
    const value = params.get(name);
    if (value === null || value === '') return undefined;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    throw ChatError.validation(name, 'must be true or false');
  },
};

/**
 * Streams `lines` as the response body, one write each, waiting for the socket to drain when
 * its buffer is full — so a large body never piles up in memory. The first line is read
 * before the headers go out, so a refusal (a ChatError) is still a normal JSON error. A
 * failure after that cuts the response off (the client sees no final line); a client that
 * goes away stops the reading.
 */
export async function streamLines(res: ServerResponse, lines: AsyncIterable<string>, headers: Record<string, string>, onError: (error: unknown) => void): Promise<void> {
  const iterator = lines[Symbol.asyncIterator]();
  let next = await iterator.next();
  res.writeHead(200, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
  let closed = false;
  res.once('close', () => {
    closed = true;
  });
  try {
    while (next.done !== true && !closed) {
      if (!res.write(next.value)) await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.once('drain', done);
        res.once('close', done);
      });
      next = await iterator.next();
    }
    if (closed) await iterator.return?.();
    else res.end();
  } catch (error) {
    onError(error);
    res.destroy();
  }
}
