import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bundleForNode as bundle } from '../scripts/bundle-for-node.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'node_modules', '.cache', 'parley-test-processes');
const bundles = new Map<string, Promise<string>>();

/**
 * Bundles a TypeScript entry for a child process, once per entry (see bundle-for-node.mjs).
 * The file lands under node_modules so its imports resolve from the repository.
 */
export function bundleForNode(entry: string): Promise<string> {
  let bundled = bundles.get(entry);
  if (bundled === undefined) {
    const outfile = join(outDir, `${entry.replace(/[^\w]+/g, '_')}-${process.pid}.mjs`);
    mkdirSync(outDir, { recursive: true });
    bundled = bundle(entry, outfile).then(() => outfile);
    bundles.set(entry, bundled);
  }
  return bundled;
}

/**
 * A child Node process speaking JSON lines: each line it prints is a message, each message
 * sent is a line on its stdin. Whatever it writes to stderr is kept for failure reports.
 */
export class ChildNode {
  readonly messages: Array<Record<string, unknown>> = [];
  readonly exited: Promise<number | null>;
  stderr = '';
  private waiters: Array<{ match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }> = [];

  private constructor(readonly process: ChildProcess) {
    createInterface({ input: process.stdout! }).on('line', (line) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not a protocol line
      }
      this.messages.push(message);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(message)) return true;
        w.resolve(message);
        return false;
      });
    });
    process.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20_000);
    });
    this.exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
  }

  static async start(entry: string, args: string[] = [], env: Record<string, string> = {}, cwd?: string): Promise<ChildNode> {
    const file = await bundleForNode(entry);
    return new ChildNode(spawn(process.execPath, [file, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'], ...(cwd === undefined ? {} : { cwd }) }));
  }

  /** Resolves with the first stdout line matching `pattern` (for children that print, not speak JSON). */
  line(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      const onLine = (line: string) => {
        const match = pattern.exec(line);
        if (match === null) return;
        clearTimeout(timer);
        reader.off('line', onLine);
        resolve(match);
      };
      const reader = createInterface({ input: this.process.stdout! });
      reader.on('line', onLine);
    });
  }

  /** A child running a plain file (no bundling), e.g. a script in a scratch app. */
  static spawnPlain(command: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): ChildNode {
    return new ChildNode(spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'], ...(options.cwd === undefined ? {} : { cwd: options.cwd }) }));
  }

  send(message: unknown): void {
    this.process.stdin!.write(`${JSON.stringify(message)}\n`);
  }

  /** The first message (already received or still to come) that matches. */
  next(match: (m: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const seen = this.messages.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child gave no matching message within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.process.exitCode === null) this.process.kill(signal);
  }
}

/** Reads JSON lines from stdin in a child: the other half of ChildNode. */
export function onParentMessage(handler: (message: Record<string, unknown>) => void | Promise<void>): void {
  createInterface({ input: process.stdin }).on('line', (line) => {
    void handler(JSON.parse(line) as Record<string, unknown>);
  });
}

export function tellParent(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}
