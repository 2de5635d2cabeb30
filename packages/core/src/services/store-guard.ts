import type { ChatStore } from '../adapters/chat-store.js';
import { storeFailureKind } from '../adapter-kit/store-failure.js';
import { ChatError } from '../domain/errors.js';
import type { Logger } from '../util/logger.js';

export interface StoreRetryOptions {
  /** Attempts of a call that failed transiently, the first included. */
  attempts: number;
  /** Delay before the first retry; doubled for each next one, with jitter. */
  baseDelayMs: number;
}

export const DEFAULT_STORE_RETRY: StoreRetryOptions = { attempts: 4, baseDelayMs: 15 };

export interface GuardedStore {
  store: ChatStore;
  /** Resolves once the store's `init` (if any) has succeeded. */
  ready(): Promise<void>;
  /** Whether writes are failing: a store may answer pings while every write fails (a full disk). */
  health(): StoreHealth;
}

export interface StoreHealth {
  /** False after `unhealthyAfter` writes in a row failed as unavailable; true again on the next that works. */
  healthy: boolean;
  consecutiveWriteFailures: number;
}

/** The store methods that write: their failures tell a full disk or a read-only database from a blip. */
const WRITES = new Set([
  'createConversation',
  'changeConversation',
  'updateMemberSettings',
  'insertMessages',
  'updateMessageContent',
  'deleteMessageForEveryone',
  'hideMessageForUser',
  'changeReaction',
  'markRead',
  'markThreadRead',
  'claimOutbox',
  'completeOutbox',
  'failOutbox',
  'setConversationRetention',
  'purgeExpiredMessages',
  'acquireJobLease',
  'eraseUserData',
  'pinMessage',
  'unpinMessage',
  'claimWebhookDeliveries',
  'completeWebhookDelivery',
  'failWebhookDelivery',
]);
const UNHEALTHY_AFTER = 3;

/**
 * Wraps every store call once (SHARED STYLE §6):
 * - it waits for the store's asynchronous start; a start that failed is tried again by the
 *   next call, so a database that was down when the host started needs no restart;
 * - a failure the adapter marked `transient` is retried with backoff, up to `attempts`;
 * - a marked failure that remains becomes `UNAVAILABLE` (SPEC §6: storage down), naming the
 *   method, with the original as `cause`;
 * - anything else is a bug or unexpected input: `INTERNAL`, logged with its stack — never
 *   reported as an outage, so clients do not retry it in a loop.
 * ChatErrors (a decision's refusal) pass through untouched.
 */
export function guardStore(store: ChatStore, logger: Logger, retry: StoreRetryOptions = DEFAULT_STORE_RETRY): GuardedStore {
  let started: Promise<void> | null = null;
  const ready = (): Promise<void> => {
    if (store.init === undefined) return Promise.resolve();
    started ??= store.init().catch((error: unknown) => {
      started = null;
      throw toChatError(error, 'init', logger);
    });
    return started;
  };
  let writeFailures = 0;
  const call = async (method: string, fn: (...a: unknown[]) => Promise<unknown>, args: unknown[]) => {
    await ready();
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await fn.apply(store, args);
        if (WRITES.has(method)) writeFailures = 0;
        return result;
      } catch (error) {
        if (storeFailureKind(error) !== 'transient' || attempt >= retry.attempts) {
          if (WRITES.has(method) && storeFailureKind(error) !== undefined) writeFailures += 1;
          throw toChatError(error, method, logger);
        }
        const delay = retry.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random());
        logger.debug(`store.${method} failed transiently; retrying`, { attempt, delayMs: Math.round(delay) });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
  const guarded = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'init' || property === 'close') return value;
      const method = String(property);
      return (...args: unknown[]) => call(method, value as (...a: unknown[]) => Promise<unknown>, args);
    },
  });
  return { store: guarded, ready, health: () => ({ healthy: writeFailures < UNHEALTHY_AFTER, consecutiveWriteFailures: writeFailures }) };
}

function toChatError(error: unknown, method: string, logger: Logger): ChatError {
  if (error instanceof ChatError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (storeFailureKind(error) !== undefined) {
    logger.error(`store.${method} failed: storage unavailable`, { error: message });
    return new ChatError('UNAVAILABLE', `Storage is unavailable (store.${method} failed)`, { method }, { cause: error });
  }
  logger.error(`store.${method} failed unexpectedly`, { error: error instanceof Error ? (error.stack ?? message) : message });
  return new ChatError('INTERNAL', 'Internal error', { method }, { cause: error });
}
