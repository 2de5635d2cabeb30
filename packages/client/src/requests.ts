import { ClientError } from './errors.js';

interface Waiter {
  type: string;
  resolve(data: unknown): void;
  reject(error: ClientError): void;
  timer: ReturnType<typeof setTimeout> | null;
}

/**
 * Request/reply matching: every frame goes out with a fresh `id`, and the one reply carrying
 * `replyTo: id` settles it — resolved with the success reply's `data`, or rejected with the
 * server's `error` as a ClientError. When the socket goes, every request still waiting is
 * rejected with `DISCONNECTED` (the server may or may not have acted on it).
 */
export class Requests {
  private counter = 0;
  private readonly waiting = new Map<string, Waiter>();

  constructor(private readonly timeoutMs: number, private readonly onTimeout: (type: string) => void) {}

  /** Sends `{ type, id, data }` with `send`; rejects at once when `send` says the socket is not open. */
  issue(type: string, data: unknown, send: (text: string) => boolean): Promise<unknown> {
    const id = `c${(this.counter += 1)}`;
    return new Promise((resolve, reject) => {
      if (!send(JSON.stringify({ type, id, data }))) {
        reject(new ClientError('DISCONNECTED', `Not connected: ${type} was not sent`));
        return;
      }
      const waiter: Waiter = { type, resolve, reject, timer: null };
      if (this.timeoutMs > 0) {
        waiter.timer = setTimeout(() => {
          this.waiting.delete(id);
          reject(new ClientError('TIMEOUT', `No reply to ${type} within ${this.timeoutMs} ms`));
          this.onTimeout(type);
        }, this.timeoutMs);
      }
      this.waiting.set(id, waiter);
    });
  }

  /** Settles the request a reply answers; false when the frame answers none of ours. */
  settle(replyTo: string | number | undefined, type: string, data: unknown, failure?: ClientError): boolean {
    if (replyTo === undefined) return false;
    const key = String(replyTo);
    const waiter = this.waiting.get(key);
    if (waiter === undefined) return false;
    this.waiting.delete(key);
    if (waiter.timer !== null) clearTimeout(waiter.timer);
    if (failure !== undefined) waiter.reject(failure);
    else if (type === 'error') waiter.reject(ClientError.fromPayload(data as never));
    else waiter.resolve(data);
    return true;
  }

  /** Rejects every request still waiting (the socket closed). */
  failAll(error: ClientError): void {
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiter of waiters) {
      if (waiter.timer !== null) clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  get size(): number {
    return this.waiting.size;
  }
}
