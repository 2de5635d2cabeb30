/**
 * Ephemeral state shared by all nodes: which users are online (several sockets each, on
 * several nodes), who is typing where, and the per-user conversation-id cache. The in-memory
 * implementation serves one process; the Redis one serves many.
 */
export interface PresenceStore {
  /** Registers a socket. `firstSocket` is true when the user had none anywhere before. */
  addSocket(userId: string, socketId: string, nodeId: string): Promise<{ firstSocket: boolean }>;
  /** Unregisters a socket. `lastSocket` is true when the user has none left anywhere. */
  removeSocket(userId: string, socketId: string): Promise<{ lastSocket: boolean }>;
  isOnline(userId: string): Promise<boolean>;
  /** The subset of `userIds` that is online, in the given order. */
  filterOnline(userIds: string[]): Promise<string[]>;
  getOnlineUsers(): Promise<string[]>;
  getUserSockets(userId: string): Promise<string[]>;
  /** Keeps a node's sockets counted; a node silent for longer than `ttlMs` stops counting. */
  heartbeat(nodeId: string, ttlMs: number): Promise<void>;
  /** Drops every socket of `nodeId` (a node shutting down) and returns the users left with none. */
  removeNode(nodeId: string): Promise<string[]>;
  /**
   * Drops the sockets of every node whose heartbeat has expired (a crashed node) and returns
   * the users left with no socket anywhere, so that the caller announces them offline. Every
   * node calls it now and then; each dead node's users are returned to one caller only.
   */
  removeDeadNodes(): Promise<string[]>;

  /** Marks typing until `ttlMs` from now. `started` is true when the user was not typing there. */
  setTyping(conversationId: string, userId: string, ttlMs: number): Promise<{ started: boolean }>;
  /** Clears typing; true when the user was typing there. */
  clearTyping(conversationId: string, userId: string): Promise<boolean>;
  /** Users typing now (expired entries excluded). */
  getTyping(conversationId: string): Promise<string[]>;
  /** Clears the user's typing everywhere; returns the conversations where it was set. */
  clearUserTyping(userId: string): Promise<string[]>;

  cacheUserConversations(userId: string, conversationIds: string[], ttlMs: number): Promise<void>;
  getCachedUserConversations(userId: string): Promise<string[] | null>;
  invalidateUserConversations(userIds: string[]): Promise<void>;

  /** True when the backing service answers. */
  healthCheck(): Promise<boolean>;
  close?(): Promise<void>;
}
