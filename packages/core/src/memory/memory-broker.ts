import type { Broker, BrokerEnvelope } from '../adapters/broker.js';

/** What several in-memory brokers share, like the Redis server several Redis brokers share. */
export interface MemoryBus {
  subscribers: Set<(envelope: BrokerEnvelope) => void>;
}

export function createMemoryBus(): MemoryBus {
  return { subscribers: new Set() };
}

/**
 * The reference Broker. Brokers on one bus see each other's envelopes; each envelope is
 * copied through JSON as a network hop would, and delivered on a later turn so that no
 * subscriber runs inside the publisher's call stack.
 */
export function createMemoryBroker(options: { bus?: MemoryBus } = {}): Broker {
  const bus = options.bus ?? createMemoryBus();
  const own = new Set<(envelope: BrokerEnvelope) => void>();
  let closed = false;
  return {
    async publish(envelope) {
      if (closed) throw new Error('broker is closed');
      const wire = JSON.stringify(envelope);
      const targets = [...bus.subscribers];
      queueMicrotask(() => {
        for (const deliver of targets) deliver(JSON.parse(wire) as BrokerEnvelope);
      });
    },
    async subscribe(handler) {
      const deliver = (envelope: BrokerEnvelope) => {
        if (!closed) handler(envelope);
      };
      bus.subscribers.add(deliver);
      own.add(deliver);
      return async () => {
        bus.subscribers.delete(deliver);
        own.delete(deliver);
      };
    },
    async healthCheck() {
      return !closed;
    },
    async close() {
      closed = true;
      for (const deliver of own) bus.subscribers.delete(deliver);
      own.clear();
    },
  };
}
