import { randomUUID } from 'node:crypto';
import { Server } from 'socket.io';
import { openBaselineDb } from './baseline-db.js';
import { Rooms, WS_PATH, type StartServer } from './contract.js';

/**
 * What a team writes instead of Parley: Socket.IO with a room per conversation, the check
 * that the sender is in the room and the content is a string of sane length, one INSERT per
 * message (its own transaction; on Postgres an `await`ed query on one connection), an emit to
 * the room and an acknowledgement to the sender, once the message is committed.
 */
export const startSocketIo: StartServer = async (config, http) => {
  const db = await openBaselineDb(config);
  const rooms = new Rooms();

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
      const relay = () => {
        socket.to(conversationId).emit('message', message);
        ack({ id: message.id, seq: message.seq });
      };
      const committed = db.insertOne(message);
      // SQLite: committed already; Postgres: once the statement's own transaction is.
      if (committed === undefined) relay();
      else committed.then(relay, () => ack({ error: 'not stored' }));
    });
  });

  return {
    async setup(seeds) {
      const conversations = rooms.create(seeds, randomUUID);
      await db.createConversations(conversations);
      return conversations.map((c) => c.id);
    },
    async close() {
      await io.close();
      await db.close();
    },
  };
};
