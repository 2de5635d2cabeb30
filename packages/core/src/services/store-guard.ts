import type { ChatStore } from '../adapters/chat-store.js';
import { ChatError } from '../domain/errors.js';
import type { Logger } from '../util/logger.js';

const PROGRAMMING_ERRORS = [TypeError, RangeError, SyntaxError, ReferenceError];

/**
 * Wraps every store call once, so that an adapter failure reaches callers as a ChatError
 * naming the method, with the original as `cause`: UNAVAILABLE for I/O failures (the store is
 * down, a lock timed out), INTERNAL for bugs. ChatErrors from the adapter pass through.
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
  const bug = PROGRAMMING_ERRORS.some((type) => error instanceof type);
  logger.error(`store.${method} failed`, { error: error instanceof Error ? error.message : String(error) });
  return bug
    ? new ChatError('INTERNAL', `Internal error in store.${method}`, { method }, { cause: error })
    : new ChatError('UNAVAILABLE', `Storage is unavailable (store.${method} failed)`, { method }, { cause: error });
}
