import { randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { Server } from 'socket.io';
import { BASELINE_SCHEMA, baselinePragmas, Rooms, WS_PATH, type StartServer } from './contract.js';

/**
 * What a team writes instead of Parley: Socket.IO with a room per conversation, the check
 * that the sender is in the room and the content is a string of sane length, one INSERT per
 * message (its own transaction), an emit to the room and an acknowledgement to the sender.
 */
export const startSocketIo: StartServer = async (config, http) => {
  const db = new BetterSqlite3(config.filename);
  baselinePragmas(db, config.durability);
  db.exec(BASELINE_SCHEMA);
  const rooms = new Rooms();
  const insert = db.prepare(
    'INSERT INTO messages (id, conversation_id, seq, sender_id, content, client_message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );

  const io = new Server(http, { path: WS_PATH, transports: ['websocket'], serveClient: false, perMessageDeflate: false, cors: { origin: '*' } });
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token !== 'string' || token === '') return next(new Error('unauthorized'));
    socket.data.userId = token;
    next();
  });
  io.on('connection', (socket) => {
    const userId = socket.data.userId as string;
    for (const conversationId of rooms.byUser.get(userId) ?? []) void socket.join(conversationId);
    socket.on('send', (data: { conversationId?: unknown; content?: unknown; clientMessageId?: unknown }, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const { conversationId, content, clientMessageId } = data ?? {};
      if (typeof conversationId !== 'string' || typeof content !== 'string' || content.length === 0 || content.length > 10_000) {
        return ack({ error: 'invalid message' });
      }
      if (!socket.rooms.has(conversationId)) return ack({ error: 'not a member' });
      const message = {
        id: randomUUID(),
        conversationId,
        seq: rooms.nextSeq(conversationId),
        senderId: userId,
        content,
        clientMessageId: typeof clientMessageId === 'string' ? clientMessageId : null,
        createdAt: new Date().toISOString(),
      };
      insert.run(message.id, conversationId, message.seq, userId, content, message.clientMessageId, message.createdAt);
      socket.to(conversationId).emit('message', message);
      ack({ id: message.id, seq: message.seq });
    });
  });

  return {
    async setup(seeds) {
      return rooms.create(db, seeds, randomUUID);
    },
    async close() {
      await io.close();
      db.close();
    },
  };
};
