import Database from 'better-sqlite3';
import type { ParleyClient } from '../../src/index.js';

/** What the store holds, read straight from the SQLite file (not through the adapter). */
export interface StoreSnapshot {
  /** conversationId → message rows by seq. */
  messages: Map<string, Array<{ id: string; seq: number; senderId: string; clientMessageId: string | null }>>;
  /** `${userId}/${conversationId}` → unread recount; `${userId}` → total. */
  unread: Map<string, number>;
}

export function readStore(file: string, conversations: Record<string, string[]>): StoreSnapshot {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const messages = new Map<string, Array<{ id: string; seq: number; senderId: string; clientMessageId: string | null }>>();
    const rows = db.prepare('SELECT id, seq, sender_id AS senderId, client_message_id AS clientMessageId FROM messages WHERE conversation_id = ? ORDER BY seq');
    // The unread rule of SPEC §2 and the adapter kit, recounted here in plain SQL.
    const unread = db.prepare(`
      SELECT COUNT(*) AS n FROM messages m JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = @user
      WHERE m.conversation_id = @conversation AND m.seq > mb.last_read_seq AND m.sender_id <> @user
        AND m.deleted_for_everyone = 0 AND m.type <> 'system'
        AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.message_id = m.id AND h.user_id = @user)`);
    const counts = new Map<string, number>();
    for (const [conversation, members] of Object.entries(conversations)) {
      messages.set(conversation, rows.all(conversation) as never);
      for (const user of members) {
        const n = (unread.get({ user, conversation }) as { n: number }).n;
        counts.set(`${user}/${conversation}`, n);
        counts.set(user, (counts.get(user) ?? 0) + n);
      }
    }
    return { messages, unread: counts };
  } finally {
    db.close();
  }
}

export interface Figures {
  messages: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  unreadWrong: number;
}

/**
 * Compares every client's view with the store:
 * - lost: a send a user made that the store does not hold;
 * - duplicated: a send stored twice, or shown twice by a client (two ids, or a pending copy beside the stored one);
 * - out of order: a client's list that differs from the store's, or store seqs that are not 1..n;
 * - unread wrong: a count or total that differs from the recount.
 */
export function compare(store: StoreSnapshot, sends: Map<string, string>, clients: Map<string, ParleyClient>, conversations: Record<string, string[]>): Figures {
  const figures: Figures = { messages: sends.size, lost: 0, duplicated: 0, outOfOrder: 0, unreadWrong: 0 };
  const stored = new Map<string, number>();
  for (const rows of store.messages.values()) {
    rows.forEach((row, i) => {
      if (row.seq !== i + 1) figures.outOfOrder += 1;
      if (row.clientMessageId !== null) stored.set(`${row.senderId}/${row.clientMessageId}`, (stored.get(`${row.senderId}/${row.clientMessageId}`) ?? 0) + 1);
    });
  }
  for (const [clientMessageId, sender] of sends) {
    const n = stored.get(`${sender}/${clientMessageId}`) ?? 0;
    if (n === 0) figures.lost += 1;
    if (n > 1) figures.duplicated += n - 1;
  }
  for (const [user, client] of clients) {
    const state = client.getState();
    for (const [conversation, members] of Object.entries(conversations)) {
      if (!members.includes(user)) continue;
      const window = state.windows[conversation];
      const ids = window?.messages.map((m) => m.id) ?? [];
      if (new Set(ids).size !== ids.length) figures.duplicated += ids.length - new Set(ids).size;
      const held = new Set(window?.messages.map((m) => m.clientMessageId));
      figures.duplicated += (window?.pending ?? []).filter((p) => held.has(p.clientMessageId)).length;
      const expected = (store.messages.get(conversation) ?? []).map((r) => r.id);
      if (ids.join() !== expected.join()) figures.outOfOrder += 1;
      if (state.conversations[conversation]?.unreadCount !== store.unread.get(`${user}/${conversation}`)) figures.unreadWrong += 1;
    }
    if (state.totalUnread !== store.unread.get(user)) figures.unreadWrong += 1;
  }
  return figures;
}
