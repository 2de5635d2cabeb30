import type { ChatUser } from '../domain/types.js';

/** What the hub needs of a socket: hocuspocus's "websocket-like". */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** Bytes queued but not yet sent, where the transport knows it. */
  readonly bufferedAmount?: number;
}

export interface LocalSocket {
  id: string;
  userId: string;
  socket: SocketLike;
  rooms: Set<string>;
  /** Verifies a fresh token for this connection (the transport's authenticate); absent when it cannot. */
  reauthenticate?: (token: string) => Promise<ChatUser | null>;
  /** No new frames are taken: the connection is draining before it closes. */
  draining?: boolean;
}

/**
 * The sockets connected to this node, by id, by user and by conversation room. Rooms are
 * local: a room event travels to every node, and each node delivers to its own sockets.
 */
export class SocketRegistry {
  private readonly byId = new Map<string, LocalSocket>();
  private readonly byUser = new Map<string, Set<LocalSocket>>();
  private readonly byRoom = new Map<string, Set<LocalSocket>>();

  add(entry: LocalSocket): void {
    this.byId.set(entry.id, entry);
    addTo(this.byUser, entry.userId, entry);
  }

  remove(socketId: string): LocalSocket | undefined {
    const entry = this.byId.get(socketId);
    if (entry === undefined) return undefined;
    this.byId.delete(socketId);
    removeFrom(this.byUser, entry.userId, entry);
    for (const room of entry.rooms) removeFrom(this.byRoom, room, entry);
    entry.rooms.clear();
    return entry;
  }

  get(socketId: string): LocalSocket | undefined {
    return this.byId.get(socketId);
  }

  join(socketId: string, conversationId: string): void {
    const entry = this.byId.get(socketId);
    if (entry === undefined) return;
    entry.rooms.add(conversationId);
    addTo(this.byRoom, conversationId, entry);
  }

  leave(socketId: string, conversationId: string): boolean {
    const entry = this.byId.get(socketId);
    if (entry === undefined || !entry.rooms.delete(conversationId)) return false;
    removeFrom(this.byRoom, conversationId, entry);
    return true;
  }

  /** Takes every socket of `userId` out of the room (the user left or was removed). */
  evict(userId: string, conversationId: string): void {
    for (const entry of this.byUser.get(userId) ?? []) this.leave(entry.id, conversationId);
  }

  /** How many sockets the user has on this node (the fallback when presence is down). */
  socketCount(userId: string): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  userSockets(userId: string): Iterable<LocalSocket> {
    return this.byUser.get(userId) ?? [];
  }

  roomSockets(conversationId: string): Iterable<LocalSocket> {
    return this.byRoom.get(conversationId) ?? [];
  }

  all(): Iterable<LocalSocket> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }

  userIds(): string[] {
    return [...this.byUser.keys()];
  }
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
