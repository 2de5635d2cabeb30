import { describe, expect, it } from 'vitest';
import { markStoreFailure } from '../src/adapter-kit/index.js';
import { ChatError, createChatServices, createMemoryStore, type ChatStore } from '../src/index.js';

/** A memory store whose `getConversation` fails as told. */
function failing(fail: (attempt: number) => unknown): { store: ChatStore; attempts: () => number } {
  const inner = createMemoryStore();
  let attempts = 0;
  const store: ChatStore = {
    ...inner,
    async getConversation(id) {
      attempts += 1;
      const error = fail(attempts);
      if (error !== undefined) throw error;
      return inner.getConversation(id);
    },
  };
  return { store, attempts: () => attempts };
}

const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (error: unknown) => (error instanceof ChatError ? error.code : `not a ChatError: ${String(error)}`));

describe('store failures: retried when transient, UNAVAILABLE when the store is down, INTERNAL when a bug', () => {
  it('retries a transient failure and succeeds', async () => {
    const { store, attempts } = failing((n) => (n < 3 ? markStoreFailure(new Error('deadlock detected'), 'transient') : undefined));
    const chat = createChatServices({ store, storeRetry: { baseDelayMs: 1 } });
    expect(await chat.store.getConversation('nope')).toBeNull();
    expect(attempts()).toBe(3);
  });

  it('gives up on a transient failure after the configured attempts, as UNAVAILABLE', async () => {
    const { store, attempts } = failing(() => markStoreFailure(new Error('could not serialize access'), 'transient'));
    const chat = createChatServices({ store, storeRetry: { attempts: 3, baseDelayMs: 1 } });
    expect(await codeOf(chat.store.getConversation('x'))).toBe('UNAVAILABLE');
    expect(attempts()).toBe(3);
  });

  it('answers UNAVAILABLE at once for a store that is down', async () => {
    const { store, attempts } = failing(() => markStoreFailure(new Error('connection refused'), 'unavailable'));
    const chat = createChatServices({ store });
    const error = await chat.store.getConversation('x').catch((e: unknown) => e as ChatError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', details: { method: 'getConversation' } });
    expect((error as ChatError).cause).toBeInstanceOf(Error);
    expect(attempts()).toBe(1);
  });

  it('never reports a bug or a bad value as an outage', async () => {
    for (const bug of [new RangeError('Maximum call stack size exceeded'), new TypeError('x is undefined'), 'a string']) {
      const { store, attempts } = failing(() => bug);
      const chat = createChatServices({ store });
      expect(await codeOf(chat.store.getConversation('x'))).toBe('INTERNAL');
      expect(attempts()).toBe(1);
    }
  });

  it('lets a decision’s ChatError through untouched', async () => {
    const { store } = failing(() => ChatError.forbidden('no'));
    const chat = createChatServices({ store });
    expect(await codeOf(chat.store.getConversation('x'))).toBe('FORBIDDEN');
  });

  it('metadata nested 5,000 deep is refused as bad input, not as a storage outage', async () => {
    const chat = createChatServices({ store: createMemoryStore() });
    const group = await chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] });
    let metadata: Record<string, unknown> = {};
    for (let i = 0; i < 5_000; i++) metadata = { a: metadata };
    const error = await chat.messages.sendMessage('ann', { conversationId: group.id, content: 'x', metadata }).catch((e: unknown) => e as ChatError);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'metadata' } });
  });

  it('waits for the store’s start, and tries a failed start again on the next call', async () => {
    const inner = createMemoryStore();
    let starts = 0;
    let started = false;
    const store: ChatStore = {
      ...inner,
      async init() {
        starts += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (starts === 1) throw markStoreFailure(new Error('database starting up'), 'unavailable');
        started = true;
      },
      async getConversation(id) {
        expect(started).toBe(true);
        return inner.getConversation(id);
      },
    };
    const chat = createChatServices({ store });
    await expect(chat.ready()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(await chat.store.getConversation('x')).toBeNull();
    await chat.ready();
    expect(starts).toBe(2);
  });
});
