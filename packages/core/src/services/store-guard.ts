import type { ChatStore } from '../adapters/chat-store.js';
import { ChatError } from '../domain/errors.js';
import type { Logger } from '../util/logger.js';

/**
 * Wraps every store call once, so that an adapter failure reaches callers as an UNAVAILABLE
 * ChatError naming the method, with the original as `cause` (SPEC §6: storage down means
 * UNAVAILABLE, and nothing is acknowledged). Drivers do not tell outages from bugs reliably
 * (better-sqlite3 throws a TypeError for a closed database), so every failure is logged with
 * its message. ChatErrors raised by the adapter itself pass through.
 */
export function guardStore(store: ChatStore, logger: Logger): ChatStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = String(property);
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          throw toChatError(error, method, logger);
        }
      };
    },
  });
}

function toChatError(error: unknown, method: string, logger: Logger): ChatError {
  if (error instanceof ChatError) return error;
  logger.error(`store.${method} failed`, { error: error instanceof Error ? error.message : String(error) });
  return new ChatError('UNAVAILABLE', `Storage is unavailable (store.${method} failed)`, { method }, { cause: error });
}
