import { randomUUID } from 'node:crypto';
import { WebSocket, WebSocketServer } from 'ws';
import { openBaselineDb, type BaselineMessage } from './baseline-db.js';
import { Rooms, WS_PATH, type StartServer } from './contract.js';

interface Pending {
  socket: WebSocket;
  replyTo: unknown;
  tempId: string | null;
  conversationId: string;
  senderId: string;
  content: string;
}

/**
 * The raw limit: a bare `ws` relay speaking Parley's envelope (`send_message` →
 * `message_sent`, `new_message` to every other member). Sends of one event-loop turn are
 * stored in one transaction (SQLite: one transaction of INSERTs; Postgres: ONE multi-row
 * INSERT, and while it commits the next turns' sends gather into the next batch); each
 * message is serialised once and that frame goes to every recipient, after the commit. The
 * same checks as the Socket.IO baseline, nothing more.
 */
export const startRaw: StartServer = async (config, http) => {
  const db = await openBaselineDb(config);
  const rooms = new Rooms();
  const sockets = new Map<string, Set<WebSocket>>();
  let batch: Pending[] = [];
  let scheduled = false;
  /** Postgres: a batch is being committed; the next one waits for it (one in flight, as Parley's batcher). */
  let inFlight = false;

  const relay = (stored: Array<Pending & BaselineMessage>, createdAt: string) => {
    for (const m of stored) {
      const frame = JSON.stringify({
        type: 'new_message',
        data: { message: { id: m.id, conversationId: m.conversationId, seq: m.seq, senderId: m.senderId, content: m.content, createdAt } },
      });
      for (const member of rooms.members.get(m.conversationId) ?? []) {
        for (const socket of sockets.get(member) ?? []) if (socket !== m.socket) socket.send(frame);
      }
      m.socket.send(JSON.stringify({ type: 'message_sent', data: { id: m.id, seq: m.seq, tempId: m.tempId }, replyTo: m.replyTo }));
    }
  };

  const flush = () => {
    scheduled = false;
    const pending = batch;
    batch = [];
    const createdAt = new Date().toISOString();
    // One object per message, as before the database was factored out: it is also the row.
    const stored = pending.map((p) => ({ ...p, id: randomUUID(), seq: rooms.nextSeq(p.conversationId), clientMessageId: p.tempId, createdAt }));
    const committed = db.insertBatch(stored);
    // SQLite: committed already.
    if (committed === undefined) return relay(stored, createdAt);
    inFlight = true;
    committed
      .then(
        () => relay(stored, createdAt),
        () => {
          for (const m of stored) m.socket.send(JSON.stringify({ type: 'error', data: { code: 'INTERNAL' }, replyTo: m.replyTo }));
        },
      )
      .finally(() => {
        inFlight = false;
        if (batch.length > 0) schedule();
      });
  };
  const schedule = () => {
    if (scheduled || inFlight) return;
    scheduled = true;
    setImmediate(flush);
  };

  const wss = new WebSocketServer({ server: http, path: WS_PATH, perMessageDeflate: false, maxPayload: 1024 * 1024 });
  wss.on('connection', (socket, request) => {
    const userId = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (userId === undefined) return socket.close(4401, 'unauthorized');
    let own = sockets.get(userId);
    if (own === undefined) sockets.set(userId, (own = new Set()));
    own.add(socket);
    socket.on('close', () => {
      own.delete(socket);
      if (own.size === 0) sockets.delete(userId);
    });
    socket.on('message', (raw) => {
      let frame: { type?: unknown; id?: unknown; data?: { conversationId?: unknown; content?: unknown; tempId?: unknown } };
      try {
        frame = JSON.parse(String(raw));
      } catch {
        return socket.send('{"type":"error","data":{"code":"VALIDATION_FAILED"}}');
      }
      const { conversationId, content, tempId } = frame.data ?? {};
      const refuse = (code: string) => socket.send(JSON.stringify({ type: 'error', data: { code }, replyTo: frame.id }));
      if (frame.type !== 'send_message' || typeof conversationId !== 'string' || typeof content !== 'string' || content.length === 0 || content.length > 10_000) {
        return refuse('VALIDATION_FAILED');
      }
      if (!rooms.isMember(conversationId, userId)) return refuse('FORBIDDEN');
      batch.push({ socket, replyTo: frame.id, tempId: typeof tempId === 'string' ? tempId : null, conversationId, senderId: userId, content });
      schedule();
    });
    socket.send(JSON.stringify({ type: 'connected', data: { userId } }));
  });

  return {
    async setup(seeds) {
      const conversations = rooms.create(seeds, randomUUID);
      await db.createConversations(conversations);
      return conversations.map((c) => c.id);
    },
    async close() {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await db.close();
    },
  };
};
