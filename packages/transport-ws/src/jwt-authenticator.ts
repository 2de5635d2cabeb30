import type { ChatUser } from '@parley/core';
import { ChatError } from '@parley/core';
import { createRemoteJWKSet, importSPKI, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import type { Authenticate } from '@parley/core';

export interface JwtAuthenticatorOptions {
  /** HMAC secret (HS256/384/512). */
  secret?: string | Uint8Array;
  /** PEM (SPKI) public key for RS*, PS*, ES* or EdDSA. */
  publicKey?: string;
  /** A JWKS endpoint. */
  jwksUrl?: string;
  /** Accepted algorithms; required, and `none` is never accepted. */
  algorithms: string[];
  issuer?: string;
  audience?: string | string[];
  /** Allowed clock skew. Default 5 s. */
  clockToleranceSec?: number;
  /** Turns verified claims into a user; default: `sub`, `name`, `picture`, `status` (default active). */
  toUser?: (payload: JWTPayload) => ChatUser | null | Promise<ChatUser | null>;
}

const optionsSchema = z
  .object({
    secret: z.union([z.string().min(16, 'must be at least 16 characters'), z.instanceof(Uint8Array)]).optional(),
    publicKey: z.string().includes('BEGIN PUBLIC KEY', { message: 'must be a PEM public key' }).optional(),
    jwksUrl: z.url().optional(),
    algorithms: z
      .array(z.string().regex(/^(HS|RS|PS|ES)(256|384|512)$|^EdDSA$|^ES256K$/, 'is not a signing algorithm (and none is never allowed)'))
      .min(1, 'name at least one algorithm'),
    issuer: z.string().optional(),
    audience: z.union([z.string(), z.array(z.string())]).optional(),
    clockToleranceSec: z.number().min(0).optional(),
    toUser: z.custom<JwtAuthenticatorOptions['toUser']>((v) => typeof v === 'function').optional(),
  })
  .refine((o) => [o.secret, o.publicKey, o.jwksUrl].filter((k) => k !== undefined).length === 1, {
    message: 'give exactly one of secret, publicKey and jwksUrl',
    path: ['secret'],
  });

const defaultUser = (payload: JWTPayload): ChatUser | null => {
  if (typeof payload.sub !== 'string' || payload.sub === '') return null;
  const name = typeof payload.name === 'string' ? payload.name : payload.sub;
  const user: ChatUser = { id: payload.sub, name, status: typeof payload.status === 'string' ? payload.status : 'active' };
  if (typeof payload.picture === 'string') user.avatar = payload.picture;
  if (typeof payload.exp === 'number') user.expiresAt = payload.exp * 1000;
  return user;
};

/**
 * An `authenticate` function that verifies JWTs with jose. The algorithm list is required
 * and `alg: none` is refused whatever it says, so a token cannot pick its own verification.
 */
export function jwtAuthenticator(options: JwtAuthenticatorOptions): Authenticate {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`);
    throw new ChatError('VALIDATION_FAILED', `Invalid jwtAuthenticator options — ${issues.join('; ')}`);
  }
  const toUser = options.toUser ?? defaultUser;
  let key: Uint8Array | JWTVerifyGetKey | Awaited<ReturnType<typeof importSPKI>> | undefined;
  const resolveKey = async () => {
    if (key !== undefined) return key;
    if (options.secret !== undefined) key = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
    else if (options.jwksUrl !== undefined) key = createRemoteJWKSet(new URL(options.jwksUrl));
    else key = await importSPKI(options.publicKey!, options.algorithms[0]!);
    return key;
  };
  return async (token) => {
    if (token === null) throw new ChatError('UNAUTHENTICATED', 'A token is required');
    try {
      const verifyKey = await resolveKey();
      const verifyOptions = {
        algorithms: options.algorithms,
        clockTolerance: options.clockToleranceSec ?? 5,
        ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
        ...(options.audience === undefined ? {} : { audience: options.audience }),
      };
      const { payload } =
        typeof verifyKey === 'function'
          ? await jwtVerify(token, verifyKey, verifyOptions)
          : await jwtVerify(token, verifyKey as Uint8Array, verifyOptions);
      const user = await toUser(payload);
      // A custom toUser that forgets the expiry still gets it: a socket must not outlive its token.
      if (user !== null && user.expiresAt === undefined && typeof payload.exp === 'number') user.expiresAt = payload.exp * 1000;
      return user;
    } catch (error) {
      if (error instanceof ChatError) throw error;
      throw new ChatError('UNAUTHENTICATED', 'Invalid token', undefined, { cause: error });
    }
  };
}
