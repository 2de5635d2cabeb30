import assert from 'node:assert/strict';
import type { Broker, BrokerEnvelope } from '../adapters/broker.js';
import { newId } from '../util/ids.js';
import type { ConformanceRunner } from './harness.js';
import { sleep, waitFor } from './wait.js';

export interface BrokerConformanceOptions extends ConformanceRunner {
  name?: string;
  /** `count` brokers sharing one backend (one channel), as nodes of one cluster would. */
  createBrokers: (count: number) => Broker[] | Promise<Broker[]>;
  destroyBrokers?: (brokers: Broker[]) => void | Promise<void>;
}

const envelope = (origin: string, i: number): BrokerEnvelope => ({
  origin,
  event: 'new_message',
  target: { kind: 'users', userIds: ['u1', 'u2'], exceptSocketId: 's1' },
  data: { i, text: `message ${i} — ünïcødé 🎉`, nested: { list: [1, 2, 3], none: null } },
});

/** The Broker conformance suite: delivery to every node, in order, and unsubscribe. */
export function runBrokerConformance(options: BrokerConformanceOptions): void {
  const test = (name: string, count: number, fn: (brokers: Broker[]) => Promise<void>) =>
    options.it(name, async () => {
      const brokers = await options.createBrokers(count);
      try {
        await fn(brokers);
      } finally {
        for (const broker of brokers) await broker.close?.();
        await options.destroyBrokers?.(brokers);
      }
    });

  options.describe(`Broker conformance${options.name === undefined ? '' : `: ${options.name}`}`, () => {
    test('an envelope reaches every subscribed node, the publisher included, intact', 3, async (brokers) => {
      const received = brokers.map(() => [] as BrokerEnvelope[]);
      for (const [i, broker] of brokers.entries()) await broker.subscribe((e) => received[i]!.push(e));
      const sent = envelope(`node-${newId()}`, 1);
      await brokers[1]!.publish(sent);
      await waitFor(() => received.every((r) => r.length === 1), 3_000, 'delivery to all nodes');
      for (const r of received) assert.deepEqual(r[0], sent);
    });

    test('envelopes from one publisher arrive in publish order', 2, async ([a, b]) => {
      const received: number[] = [];
      await b!.subscribe((e) => received.push((e.data as { i: number }).i));
      const origin = `node-${newId()}`;
      await Promise.all(Array.from({ length: 200 }, (_, i) => a!.publish(envelope(origin, i))));
      await waitFor(() => received.length === 200, 5_000, '200 envelopes');
      assert.deepEqual(received, Array.from({ length: 200 }, (_, i) => i));
    });

    test('unsubscribe stops delivery to that handler only', 2, async ([a, b]) => {
      const kept: BrokerEnvelope[] = [];
      const dropped: BrokerEnvelope[] = [];
      await b!.subscribe((e) => kept.push(e));
      const stop = await b!.subscribe((e) => dropped.push(e));
      await a!.publish(envelope('n', 1));
      await waitFor(() => kept.length === 1 && dropped.length === 1, 3_000, 'first delivery');
      await stop();
      await a!.publish(envelope('n', 2));
      await waitFor(() => kept.length === 2, 3_000, 'second delivery');
      await sleep(50);
      assert.equal(dropped.length, 1);
    });

    test('a subscriber gets what is published after subscribe resolves, and nothing from before', 2, async ([a, b]) => {
      const origin = `node-${newId()}`;
      await a!.publish(envelope(origin, 1));
      await sleep(50);
      const received: number[] = [];
      await b!.subscribe((e) => received.push((e.data as { i: number }).i));
      await a!.publish(envelope(origin, 2));
      await waitFor(() => received.length >= 1, 3_000, 'the envelope published after subscribing');
      await sleep(50);
      assert.deepEqual(received, [2]);
    });

    test('health check answers', 1, async ([broker]) => {
      assert.equal(await broker!.healthCheck(), true);
    });
  });
}
