import type { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/** SigV4 presigned URLs live at most a week (`X-Amz-Expires` ≤ 604 800). */
export const MAX_PRESIGN_SECONDS = 604_800;

/**
 * The SDK's flexible checksums (on by default since 3.729) put the checksum of the *empty*
 * body being presigned into a PUT URL (`x-amz-checksum-crc32=AAAAAA==`, signed), so S3 would
 * refuse every real upload; a GET gets `x-amz-checksum-mode`. A presigned request carries no
 * body, so these headers never belong in it. Removed after the checksum middleware has run
 * and before signing, whatever the client's `requestChecksumCalculation` says.
 */
const CHECKSUM_HEADER = /^x-amz-(checksum-|sdk-checksum-algorithm$)/i;

type Presignable = PutObjectCommand | GetObjectCommand;

/** The little of the SDK's middleware stack used here (its own types live in @smithy/types). */
type Handler = (args: { request?: { headers?: Record<string, string> } }) => Promise<unknown>;
interface BuildStack {
  add(middleware: (next: Handler) => Handler, options: { step: 'build'; priority: 'low'; name: string; override: boolean }): void;
}

function withoutChecksums<C extends Presignable>(command: C): C {
  const strip = (next: Handler): Handler => async (args) => {
    const headers = args.request?.headers;
    if (headers !== undefined) {
      for (const name of Object.keys(headers)) if (CHECKSUM_HEADER.test(name)) delete headers[name];
    }
    return next(args);
  };
  (command.middlewareStack as unknown as BuildStack).add(strip, { step: 'build', priority: 'low', name: 'parleyPresignWithoutChecksums', override: true });
  return command;
}

/**
 * A presigned URL valid until at least `expiresAt` and at most a second past it. `X-Amz-Date`
 * has whole seconds, so the signing time is the current second and the lifetime is rounded up
 * from there: a link asked for one second from now never dies a few milliseconds after it
 * was made.
 */
export async function presign(
  client: S3Client,
  command: Presignable,
  expiresAt: Date,
  signableHeaders?: Set<string>,
): Promise<string> {
  const now = Date.now();
  const signedAt = Math.floor(now / 1000) * 1000;
  const until = expiresAt.getTime();
  if (!Number.isFinite(until) || until <= now) {
    throw new RangeError(`A presigned S3 URL needs an expiry in the future, not ${String(expiresAt)}`);
  }
  const expiresIn = Math.ceil((until - signedAt) / 1000);
  if (expiresIn > MAX_PRESIGN_SECONDS) {
    throw new RangeError(`S3 presigned URLs last at most 7 days (${MAX_PRESIGN_SECONDS} s); ${expiresIn} s were asked for`);
  }
  return getSignedUrl(client, withoutChecksums(command), {
    expiresIn,
    signingDate: new Date(signedAt),
    ...(signableHeaders === undefined ? {} : { signableHeaders }),
  });
}
