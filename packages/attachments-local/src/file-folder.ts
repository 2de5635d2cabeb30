import { createReadStream, createWriteStream } from 'node:fs';
import { access, link, mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';

/** Keys as Parley makes them; anything else never reaches the file system. */
const KEY = /^[A-Za-z0-9_-]{1,128}$/;

export class InvalidKeyError extends Error {}

/** How an upload body ended. */
export type WriteOutcome =
  | { kind: 'stored'; size: number }
  | { kind: 'too-large' }
  | { kind: 'short'; size: number }
  | { kind: 'aborted' }
  | { kind: 'exists' }
  | { kind: 'failed'; error: Error };

/**
 * The files of one store: `<dir>/<last two characters of the key>/<key>`, so no folder holds
 * millions of entries. Uploads are written to a temporary file and renamed into place only when
 * complete, so a reader never sees half a file and a dropped upload leaves nothing behind.
 */
export class FileFolder {
  private readonly tmp: string;

  constructor(readonly directory: string) {
    this.tmp = join(directory, '.incoming');
  }

  async ensure(): Promise<void> {
    await mkdir(this.tmp, { recursive: true });
  }

  path(key: string): string {
    if (!KEY.test(key)) throw new InvalidKeyError(`Invalid attachment key ${JSON.stringify(key)}`);
    return join(this.directory, key.slice(-2), key);
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(this.path(key))).size;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async head(key: string, count: number): Promise<{ size: number; head: Uint8Array } | null> {
    let file;
    try {
      file = await open(this.path(key), 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    try {
      const { size } = await file.stat();
      const buffer = Buffer.alloc(Math.min(count, size));
      let read = 0;
      while (read < buffer.length) {
        const { bytesRead } = await file.read(buffer, read, buffer.length - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return { size, head: new Uint8Array(buffer.buffer, buffer.byteOffset, read) };
    } finally {
      await file.close();
    }
  }

  read(key: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.path(key), range);
  }

  /**
   * Streams `body` into the key's file, accepting exactly `size` bytes: more is refused as
   * soon as it arrives, fewer (the client stopped) stores nothing. The file is synced before
   * it is renamed into place, so an answered upload survives a crash.
   */
  async write(key: string, size: number, body: Readable): Promise<WriteOutcome> {
    const target = this.path(key);
    await this.ensure();
    if (await exists(target)) return { kind: 'exists' };
    const temp = join(this.tmp, `${key}.${randomUUID()}`);
    const out = createWriteStream(temp, { flags: 'wx' });
    let received = 0;
    const outcome = await new Promise<WriteOutcome>((resolve) => {
      let settled = false;
      const settle = (value: WriteOutcome) => {
        if (settled) return;
        settled = true;
        resolve(value);
      };
      body.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > size) {
          body.pause();
          settle({ kind: 'too-large' });
          return;
        }
        if (!out.write(chunk)) {
          body.pause();
          out.once('drain', () => body.resume());
        }
      });
      body.once('end', () => settle(received === size ? { kind: 'stored', size } : { kind: 'short', size: received }));
      body.once('aborted', () => settle({ kind: 'aborted' }));
      body.once('error', () => settle({ kind: 'aborted' }));
      body.once('close', () => settle(received === size ? { kind: 'stored', size } : { kind: 'aborted' }));
      out.once('error', (error) => settle({ kind: 'failed', error }));
    });
    if (outcome.kind !== 'stored') {
      out.destroy();
      await rm(temp, { force: true });
      return outcome;
    }
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    const handle = await open(temp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await mkdir(join(this.directory, key.slice(-2)), { recursive: true });
    // Write once: link() fails when the name exists, where rename() would replace it, so two
    // uploads racing under one ticket store the first and refuse the second, and bytes checked
    // by completeUpload are never swapped afterwards.
    try {
      await link(temp, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { kind: 'exists' };
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
    return outcome;
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'ENOENT';
}
