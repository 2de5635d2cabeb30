import type { PresenceStore } from '@parley/core';
import { z } from 'zod';
import { openConnection, parseOptions, type RedisConnectionOptions } from './connection.js';
import type { LuaScript } from './lua-script.js';
import {
  ADD_SOCKET,
  CLEAR_TYPING,
  CLEAR_USER_TYPING,
  FILTER_ONLINE,
  GET_TYPING,
  HEARTBEAT,
  ONLINE_USERS,
  REMOVE_DEAD_NODES,
  REMOVE_NODE,
  REMOVE_SOCKET,
  SET_TYPING,
  USER_SOCKETS,
} from './presence-scripts.js';

export interface RedisPresenceOptions extends RedisConnectionOptions {
  /** How long `healthCheck` waits for PING before answering false. Default 1 000 ms. */
  healthTimeoutMs?: number;
}

const shape = { healthTimeoutMs: z.number().int().positive().default(1_000) };

/**
 * PresenceStore on Redis, shared by every node: sockets per user across nodes, node
 * heartbeats, typing with TTLs, the conversation-id cache. Every read-then-write is one Lua
 * script and every expiry uses Redis's clock (see presence-scripts.ts). Calls that Redis does
 * not answer within `commandTimeoutMs` reject, so the hub falls back to local state.
 */
export function createRedisPresence(options: RedisPresenceOptions): PresenceStore {
  const config = parseOptions('createRedisPresence', shape, options);
  const connection = openConnection(config, 'presence');
  const prefix = connection.prefix;
  const run = (script: LuaScript, ...args: Array<string | number>) =>
    connection.call(`presence.${script.name}`, (client) => script.run(client, [], [prefix, ...args]));
  const cacheKey = (userId: string) => `${prefix}conversations:${userId}`;

  return {
    async addSocket(userId, socketId, nodeId) {
      return { firstSocket: (await run(ADD_SOCKET, userId, socketId, nodeId)) === 1 };
    },

    async removeSocket(userId, socketId) {
      return { lastSocket: (await run(REMOVE_SOCKET, userId, socketId)) === 1 };
    },

    async isOnline(userId) {
      return (await run(FILTER_ONLINE, userId) as string[]).length === 1;
    },

    async filterOnline(userIds) {
      if (userIds.length === 0) return [];
      return (await run(FILTER_ONLINE, ...userIds)) as string[];
    },

    async getOnlineUsers() {
      return (await run(ONLINE_USERS)) as string[];
    },

    async getUserSockets(userId) {
      return (await run(USER_SOCKETS, userId)) as string[];
    },

    async heartbeat(nodeId, ttlMs) {
      await run(HEARTBEAT, nodeId, Math.ceil(ttlMs));
    },

    async removeNode(nodeId) {
      return (await run(REMOVE_NODE, nodeId)) as string[];
    },

    async removeDeadNodes() {
      return (await run(REMOVE_DEAD_NODES)) as string[];
    },

    async setTyping(conversationId, userId, ttlMs) {
      return { started: (await run(SET_TYPING, conversationId, userId, Math.ceil(ttlMs))) === 1 };
    },

    async clearTyping(conversationId, userId) {
      return (await run(CLEAR_TYPING, conversationId, userId)) === 1;
    },

    async getTyping(conversationId) {
      return (await run(GET_TYPING, conversationId)) as string[];
    },

    async clearUserTyping(userId) {
      return (await run(CLEAR_USER_TYPING, userId)) as string[];
    },

    async cacheUserConversations(userId, conversationIds, ttlMs) {
      const ttl = Math.ceil(ttlMs);
      await connection.call('presence.cacheUserConversations', async (client) => {
        if (ttl > 0) await client.set(cacheKey(userId), JSON.stringify(conversationIds), 'PX', ttl);
        else await client.del(cacheKey(userId));
      });
    },

    async getCachedUserConversations(userId) {
      const raw = await connection.call('presence.getCachedUserConversations', (client) => client.get(cacheKey(userId)));
      return raw === null ? null : parseIds(raw);
    },

    async invalidateUserConversations(userIds) {
      if (userIds.length === 0) return;
      await connection.call('presence.invalidateUserConversations', (client) => client.del(...userIds.map(cacheKey)));
    },

    healthCheck: () => connection.ping(config.healthTimeoutMs),

    close: () => connection.close(),
  };
}

/** The cached list, or null (a miss) for anything that is not a list of ids. */
function parseIds(raw: string): string[] | null {
  let ids: unknown;
  try {
    ids = JSON.parse(raw);
  } catch {
    return null;
  }
  return Array.isArray(ids) && ids.every((id) => typeof id === 'string') ? ids : null;
}
