import type { S3Client } from '@aws-sdk/client-s3';
import { ChatError } from '@parley/core';
import { z } from 'zod';

/** How `createS3AttachmentStore` reaches its bucket. */
export interface S3AttachmentStoreOptions {
  /** The bucket the files live in. It must exist: Parley never creates or configures it. */
  bucket: string;
  /**
   * Every object key starts with it (`chat/` → `chat/<key>`), so several apps or test runs share
   * one bucket. Letters, digits, `_`, `-`, `.` and `/`; no leading `/`, no `.` or `..` segment.
   * Default: none.
   */
  prefix?: string;
  /**
   * An `S3Client` the host owns and configures (region, endpoint, credentials, retries, proxy);
   * Parley never destroys it. Exclusive with `region`, `endpoint`, `forcePathStyle` and
   * `credentials`, which build a client that `close()` destroys.
   */
  client?: S3Client;
  /** Default: the SDK's own lookup (`AWS_REGION`, the shared config file). */
  region?: string;
  /** An S3-compatible service's URL (`http://127.0.0.1:9000`). Default: AWS S3 for `region`. */
  endpoint?: string;
  /** `https://host/bucket/key` instead of `https://bucket.host/key`; most S3-compatible services want it. Default false. */
  forcePathStyle?: boolean;
  /**
   * Static keys. Default: the SDK's provider chain (environment, shared files, the instance or
   * task role). For rotating credentials of your own, pass a `client`.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * Hand out download links on this origin (`https://files.example.com`) instead of the
   * bucket's: a CDN or proxy that forwards the path and the whole query string to the bucket
   * with the bucket's own `Host` (S3 checks the signature against it) and adds the response
   * headers S3 cannot (`X-Content-Type-Options: nosniff`, a sandbox CSP). Uploads still go to
   * the bucket. Default: the bucket's own URLs.
   */
  downloadOrigin?: string;
}

/** What Parley makes keys of; anything else is refused before it reaches a URL. */
export const KEY = /^[A-Za-z0-9_-]{1,128}$/;

const isS3Client = (value: unknown): value is S3Client =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as S3Client).send === 'function' &&
  typeof (value as S3Client).config === 'object' &&
  typeof (value as S3Client).middlewareStack === 'object';

const validPrefix = (prefix: string) =>
  /^[A-Za-z0-9_.\-/]*$/.test(prefix) &&
  !prefix.startsWith('/') &&
  prefix.split('/').every((segment, i, all) => (segment === '' ? i === all.length - 1 : segment !== '.' && segment !== '..'));

const optionsSchema = z.object({
  bucket: z
    .string({ error: 'must be the name of a bucket' })
    .min(1, 'must be the name of a bucket')
    .max(255, 'must be at most 255 characters')
    .refine((name) => !/[/\s?#]/.test(name), 'must be a bare bucket name (no `/`, `?`, `#` or spaces)'),
  prefix: z
    .string()
    .max(512, 'must be at most 512 characters')
    .refine(validPrefix, 'may hold letters, digits, `_`, `-`, `.` and `/`, must not start with `/` nor have an empty, `.` or `..` segment')
    .default(''),
  client: z.custom<S3Client>(isS3Client, 'must be an S3Client from @aws-sdk/client-s3').optional(),
  region: z.string().min(1, 'must not be empty').optional(),
  endpoint: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  forcePathStyle: z.boolean().optional(),
  downloadOrigin: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// origin' })
    .refine((v) => /^https?:\/\/[^/?#]+\/?$/.test(v), 'must be an origin only (scheme, host and port), without a path, query or fragment')
    .optional(),
  credentials: z
    .object({
      accessKeyId: z.string().min(1, 'must not be empty'),
      secretAccessKey: z.string().min(1, 'must not be empty'),
      sessionToken: z.string().min(1, 'must not be empty').optional(),
    })
    .optional(),
});

export type ParsedOptions = z.infer<typeof optionsSchema>;

/** Parses the options with one error listing every bad path, as every Parley entry point does. */
export function parseOptions(options: unknown): ParsedOptions {
  const parsed = optionsSchema.safeParse(options ?? {});
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`);
  const raw = (typeof options === 'object' && options !== null ? options : {}) as Record<string, unknown>;
  const clientSettings = ['region', 'endpoint', 'forcePathStyle', 'credentials'].filter((name) => raw[name] !== undefined);
  if (raw.client !== undefined && clientSettings.length > 0) {
    problems.push(`client: configure the client you pass, or pass ${clientSettings.join(', ')} without one — not both`);
  }
  if (!parsed.success || problems.length > 0) {
    throw new ChatError('VALIDATION_FAILED', `Invalid S3 attachment store options — ${problems.join('; ')}`, {
      issues: problems.map((p) => ({ field: p.slice(0, p.indexOf(':')), message: p.slice(p.indexOf(':') + 2) })),
    });
  }
  return parsed.data;
}
