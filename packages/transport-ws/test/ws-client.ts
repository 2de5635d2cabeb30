import { WebSocket, type ClientOptions } from 'ws';

export interface Frame {
  type: string;
  data: any;
  replyTo?: string | number;
}

/** A test client over a real socket: records every frame and waits for the ones asked for. */
export class TestClient {
  readonly frames: Frame[] = [];
  private waiters: Array<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  private counter = 0;
  closeCode: number | null = null;
  closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as Frame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  static async connect(url: string, options: ClientOptions & { protocols?: string[] } = {}): Promise<TestClient> {
    const { protocols, ...rest } = options;
    const ws = new WebSocket(url, protocols ?? [], rest);
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return client;
  }

  /** The first frame (already received or still to come) that matches. */
  next(type: string, match: (f: Frame) => boolean = () => true, timeoutMs = 3_000): Promise<Frame> {
    const test = (f: Frame) => f.type === type && match(f);
    const seen = this.frames.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} frame within ${timeoutMs} ms; got ${this.frames.map((f) => f.type).join(', ')}`)), timeoutMs);
      this.waiters.push({
        match: test,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  /** Sends `{ type, id, data }` and resolves with the one reply carrying `replyTo: id`. */
  async request(type: string, data: unknown = {}): Promise<Frame> {
    const id = `r${(this.counter += 1)}`;
    const reply = new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${type}`)), 3_000);
      this.waiters.push({
        match: (f) => f.replyTo === id,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
    this.ws.send(JSON.stringify({ type, id, data }));
    return reply;
  }

  count(type: string, match: (f: Frame) => boolean = () => true): number {
    return this.frames.filter((f) => f.type === type && match(f)).length;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    await this.closed;
  }
}
