import type { PresenceStore } from '../adapters/presence-store.js';

export interface MemoryPresenceOptions {
  /** Clock in ms, for tests of expiry. */
  now?: () => number;
}

/**
 * The reference PresenceStore for one process. Expiry is checked on read, so no timers run
 * and nothing needs closing.
 */
export function createMemoryPresence(options: MemoryPresenceOptions = {}): PresenceStore {
  const now = options.now ?? Date.now;
  /** userId → socketId → nodeId */
  const sockets = new Map<string, Map<string, string>>();
  /** nodeId → heartbeat expiry (ms); a node never heard from counts as alive. */
  const nodes = new Map<string, number>();
  /** conversationId → userId → expiry (ms) */
  const typing = new Map<string, Map<string, number>>();
  const conversationCache = new Map<string, { ids: string[]; expires: number }>();

  const nodeAlive = (nodeId: string) => {
    const expires = nodes.get(nodeId);
    return expires === undefined || expires > now();
  };
  const liveSockets = (userId: string) => [...(sockets.get(userId)?.entries() ?? [])].filter(([, node]) => nodeAlive(node));
  const online = (userId: string) => liveSockets(userId).length > 0;

  /** Drops the sockets of `nodeIds` at once; returns the users who lost one and have no live socket left. */
  const dropNodes = (nodeIds: Set<string>): string[] => {
    const orphaned: string[] = [];
    for (const [userId, map] of sockets) {
      let removed = false;
      for (const [socketId, node] of map) {
        if (nodeIds.has(node)) {
          map.delete(socketId);
          removed = true;
        }
      }
      if (!removed) continue;
      if (!online(userId)) {
        // Gone offline: entries left on other dead nodes go too, so no later sweep announces the user again.
        sockets.delete(userId);
        orphaned.push(userId);
      } else if (map.size === 0) sockets.delete(userId);
    }
    for (const nodeId of nodeIds) nodes.delete(nodeId);
    return orphaned;
  };

  return {
    async addSocket(userId, socketId, nodeId) {
      const firstSocket = !online(userId);
      let map = sockets.get(userId);
      if (map === undefined) {
        map = new Map();
        sockets.set(userId, map);
      }
      map.set(socketId, nodeId);
      return { firstSocket };
    },

    async removeSocket(userId, socketId) {
      const map = sockets.get(userId);
      const had = map?.delete(socketId) ?? false;
      const lastSocket = had && !online(userId);
      // Gone offline: sockets left on dead nodes go too, so no sweep announces the user again.
      if (map !== undefined && (lastSocket || map.size === 0)) sockets.delete(userId);
      return { lastSocket };
    },

    async isOnline(userId) {
      return online(userId);
    },

    async filterOnline(userIds) {
      return userIds.filter(online);
    },

    async getOnlineUsers() {
      return [...sockets.keys()].filter(online);
    },

    async getUserSockets(userId) {
      return liveSockets(userId).map(([socketId]) => socketId);
    },

    async heartbeat(nodeId, ttlMs) {
      nodes.set(nodeId, now() + ttlMs);
    },

    async removeDeadNodes() {
      const dead = new Set([...nodes].filter(([, expires]) => expires <= now()).map(([nodeId]) => nodeId));
      return dead.size === 0 ? [] : dropNodes(dead);
    },

    async removeNode(nodeId) {
      return dropNodes(new Set([nodeId]));
    },

    async setTyping(conversationId, userId, ttlMs) {
      let map = typing.get(conversationId);
      if (map === undefined) {
        map = new Map();
        typing.set(conversationId, map);
      }
      const current = map.get(userId);
      map.set(userId, now() + ttlMs);
      return { started: current === undefined || current <= now() };
    },

    async clearTyping(conversationId, userId) {
      const map = typing.get(conversationId);
      const expires = map?.get(userId);
      map?.delete(userId);
      if (map?.size === 0) typing.delete(conversationId);
      return expires !== undefined && expires > now();
    },

    async getTyping(conversationId) {
      const t = now();
      return [...(typing.get(conversationId)?.entries() ?? [])].filter(([, exp]) => exp > t).map(([userId]) => userId);
    },

    async clearUserTyping(userId) {
      const t = now();
      const cleared: string[] = [];
      for (const [conversationId, map] of typing) {
        const expires = map.get(userId);
        if (expires === undefined) continue;
        map.delete(userId);
        if (map.size === 0) typing.delete(conversationId);
        if (expires > t) cleared.push(conversationId);
      }
      return cleared;
    },

    async cacheUserConversations(userId, conversationIds, ttlMs) {
      conversationCache.set(userId, { ids: [...conversationIds], expires: now() + ttlMs });
    },

    async getCachedUserConversations(userId) {
      const entry = conversationCache.get(userId);
      if (entry === undefined || entry.expires <= now()) return null;
      return [...entry.ids];
    },

    async invalidateUserConversations(userIds) {
      for (const userId of userIds) conversationCache.delete(userId);
    },

    async healthCheck() {
      return true;
    },
  };
}
