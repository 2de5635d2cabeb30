import { randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { WebSocket, WebSocketServer } from 'ws';
import { BASELINE_SCHEMA, baselinePragmas, Rooms, WS_PATH, type StartServer } from './contract.js';

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
 * stored in one transaction; each message is serialised once and that frame goes to every
 * recipient. The same checks as the Socket.IO baseline, nothing more.
 */
export const startRaw: StartServer = async (config, http) => {
  const db = new BetterSqlite3(config.filename);
  baselinePragmas(db, config.durability);
  db.exec(BASELINE_SCHEMA);
  const rooms = new Rooms();
  const insert = db.prepare(
    'INSERT INTO messages (id, conversation_id, seq, sender_id, content, client_message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const sockets = new Map<string, Set<WebSocket>>();
  let batch: Pending[] = [];

  const flush = () => {
    const pending = batch;
    batch = [];
    const createdAt = new Date().toISOString();
    const stored = pending.map((p) => ({ ...p, id: randomUUID(), seq: rooms.nextSeq(p.conversationId) }));
    db.transaction(() => {
      for (const m of stored) insert.run(m.id, m.conversationId, m.seq, m.senderId, m.content, m.tempId, createdAt);
    }).immediate();
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
      if (batch.length === 0) setImmediate(flush);
      batch.push({ socket, replyTo: frame.id, tempId: typeof tempId === 'string' ? tempId : null, conversationId, senderId: userId, content });
    });
    socket.send(JSON.stringify({ type: 'connected', data: { userId } }));
  });

  return {
    async setup(seeds) {
      return rooms.create(db, seeds, randomUUID);
    },
    async close() {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      db.close();
    },
  };
};
