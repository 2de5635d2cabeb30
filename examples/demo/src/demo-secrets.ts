import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A host secret shorter than this is refused: HS256 keys should be at least 256 bits. */
export const MIN_SECRET_LENGTH = 32;

/** The keys the demo signs with: its own sign-in tokens, and upload/download links. */
export interface DemoSecrets {
  tokenKey: Uint8Array;
  fileKey: Uint8Array;
  /** Where they come from, for the start-up line. */
  source: 'PARLEY_JWT_SECRET' | 'data directory';
}

/** A short host secret: a clear one-line refusal at start-up, not a stack trace. */
export class WeakSecretError extends Error {
  override readonly name = 'WeakSecretError';
  constructor(length: number) {
    super(`PARLEY_JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters (it has ${length}); try: export PARLEY_JWT_SECRET=$(openssl rand -hex 32)`);
  }
}

/**
 * The demo's keys survive a restart, so pages stay signed in: derived from PARLEY_JWT_SECRET
 * when it is set (every node with the same secret agrees), otherwise made once and kept in
 * `<dataDir>/demo.key` (readable by the owner only).
 */
export function loadDemoSecrets(dataDir: string, hostSecret: string | undefined): DemoSecrets {
  if (hostSecret !== undefined) {
    if (hostSecret.length < MIN_SECRET_LENGTH) throw new WeakSecretError(hostSecret.length);
    return derive(Buffer.from(hostSecret, 'utf8'), 'PARLEY_JWT_SECRET');
  }
  const file = join(dataDir, 'demo.key');
  let master: Buffer;
  try {
    master = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  } catch {
    master = Buffer.alloc(0);
  }
  if (master.length < 32) {
    master = randomBytes(32);
    writeFileSync(file, `${master.toString('hex')}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return derive(master, 'data directory');
}

/** One key per use, so a token key can never sign a file link and the other way round. */
function derive(master: Buffer, source: DemoSecrets['source']): DemoSecrets {
  const key = (label: string) => new Uint8Array(createHmac('sha256', master).update(`parley-demo:${label}`).digest());
  return { tokenKey: key('tokens'), fileKey: key('files'), source };
}
