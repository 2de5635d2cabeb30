import type { Authenticate, ChatUser } from '@parley/core';
import { jwtAuthenticator } from '@parley/transport-ws';
import { SignJWT } from 'jose';
import type { DemoUsers } from './demo-users.js';

const DEMO_ISSUER = 'parley-demo (not for production)';

/** How long a demo token lives; the page asks for a new one before it ends. */
export const DEMO_TOKEN_TTL_S = 12 * 3600;

/**
 * DEMO ONLY. Anyone can get a token for any name: the demo signs dev tokens with `devKey`,
 * which survives restarts (see demo-secrets.ts), so open pages stay signed in. With
 * PARLEY_JWT_SECRET set, HS256 tokens signed with that secret (`sub` = user id, `name` claim)
 * are accepted as well, so any client can connect.
 */
export function createDemoAuth(users: DemoUsers, hostSecret: string | undefined, devKey: Uint8Array) {
  const dev = jwtAuthenticator({ secret: devKey, algorithms: ['HS256'], issuer: DEMO_ISSUER, toUser: (p) => (typeof p.sub === 'string' ? users.get(p.sub) : null) });
  const host = hostSecret === undefined ? null : jwtAuthenticator({ secret: hostSecret, algorithms: ['HS256'] });

  const authenticate: Authenticate = async (token, request) => {
    try {
      const user = await dev(token, request);
      if (user !== null) return user;
    } catch (error) {
      if (host === null) throw error;
    }
    if (host === null) return null;
    const user = await host(token, request);
    if (user !== null) users.upsert(user);
    return user;
  };

  const issue = (user: ChatUser) =>
    new SignJWT({ name: user.name, demo: true })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer(DEMO_ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${DEMO_TOKEN_TTL_S}s`)
      .sign(devKey);

  return { authenticate, issue };
}
