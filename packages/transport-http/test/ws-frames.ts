import { WebSocket } from 'ws';

type Json = Record<string, any>;

export interface Frame {
  type: string;
  data: Json;
  replyTo?: string;
}

/** A bare WebSocket client: request/reply by id, and waiting for a pushed frame. */
export async function connect(base: string, user: string) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/chat?token=${user}`);
  const frames: Frame[] = [];
  const waiters: Array<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString()) as Frame;
    frames.push(frame);
    for (const waiter of [...waiters]) {
      if (!waiter.match(frame)) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(frame);
    }
  });
  const next = (match: (f: Frame) => boolean) =>
    new Promise<Frame>((resolve) => {
      const seen = frames.find(match);
      if (seen !== undefined) resolve(seen);
      else waiters.push({ match, resolve });
    });
  await next((f) => f.type === 'connected');
  let counter = 0;
  return {
    next,
    request(type: string, data: unknown): Promise<Frame> {
      const id = `${user}-${(counter += 1)}`;
      ws.send(JSON.stringify({ type, id, data }));
      return next((f) => f.replyTo === id);
    },
    close: () => ws.close(),
  };
}
