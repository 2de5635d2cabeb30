import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

/**
 * WAL checkpoints off the event loop. In WAL mode SQLite copies the log back into the
 * database file every 1,000 pages by default, inside whichever commit crosses the line: a
 * send batch's. Under load that was a fifth of the server's time, on the thread that also
 * serves every socket. Here a worker thread with its own connection to the same file runs a
 * PASSIVE checkpoint every `intervalMs` — which copies what no reader still needs and never
 * blocks a writer — while the store's own connection keeps only a far backstop
 * (`BACKSTOP_PAGES`), so the log stays bounded should the worker fall behind or die.
 *
 * What a checkpoint does is the same either way (SQLite's own, on the same file, at the
 * store's `synchronous`); only the thread changes.
 */

/** The store's own connection checkpoints only past this many WAL pages (~40 MB at 4 KiB). */
export const BACKSTOP_PAGES = 10_000;

export interface WalCheckpointer {
  /** Checkpoints the worker has completed (for tests and diagnostics). */
  readonly passes: number;
  /** Stops the worker, after the checkpoint it may be running. */
  stop(): Promise<void>;
}

/** The worker: CommonJS, so that it runs from a string in both of the package's builds. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('synchronous = ' + workerData.synchronous);
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage('pass');
  } catch (error) {
    parentPort.postMessage('failed: ' + String(error && error.message || error));
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Starts checkpointing `filename` (which `db` has open in WAL mode) from a worker thread.
 * Returns null, leaving SQLite's own checkpoints in place, when a worker cannot be started.
 */
export function startWalCheckpointer(
  db: Database,
  options: { filename: string; synchronous: 'FULL' | 'NORMAL'; intervalMs: number; onError?: (message: string) => void },
): WalCheckpointer | null {
  let worker: Worker;
  try {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    // No inherited flags: `--input-type=module` would make the CommonJS source an ES module.
    worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { driver, filename: options.filename, synchronous: options.synchronous, intervalMs: options.intervalMs } });
  } catch (error) {
    options.onError?.(`no checkpoint worker, SQLite checkpoints inline: ${String(error)}`);
    return null;
  }
  worker.unref();
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  let passes = 0;
  let exited = false;
  const exit = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // A checkpoint failing every pass (a lock held elsewhere, a full disk) is reported once a
  // minute, not five times a second; the backstop still bounds the log meanwhile.
  let lastReport = 0;
  worker.on('message', (message: string) => {
    if (message === 'pass') passes += 1;
    else if (Date.now() - lastReport >= 60_000) {
      lastReport = Date.now();
      options.onError?.(message);
    }
  });
  worker.on('error', (error) => options.onError?.(`checkpoint worker failed: ${String(error)}`));
  worker.once('exit', () => {
    exited = true;
    // Back to SQLite's own checkpoints, should the store still be open.
    if (db.open) db.pragma('wal_autocheckpoint = 1000');
  });
  return {
    get passes() {
      return passes;
    },
    async stop() {
      if (exited) return;
      // Referenced again, so that the process waits for the worker rather than exiting under the caller's await.
      worker.ref();
      worker.postMessage('stop');
      await exit;
    },
  };
}
