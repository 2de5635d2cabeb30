import { describe, expect, it } from 'vitest';
import type { BrokerEnvelope } from '../src/adapters/broker.js';
import { VersionOrder } from '../src/realtime/version-order.js';
import { sleep } from '../src/testing/index.js';

const change = (conversationId: string, version: number): BrokerEnvelope => ({
  origin: 'n',
  event: 'new_message',
  target: { kind: 'members', conversationId },
  data: { version },
  order: { conversationId, version },
});
const unordered: BrokerEnvelope = { origin: 'n', event: 'user_typing', target: { kind: 'room', conversationId: 'c' }, data: {} };

describe('VersionOrder', () => {
  it('holds a change until its predecessor arrives, per conversation', () => {
    const seen: string[] = [];
    const order = new VersionOrder(1_000, (e) => seen.push(`${e.order?.conversationId ?? '-'}${e.order?.version ?? ''}`));
    order.accept(change('a', 10));
    order.accept(change('a', 12));
    order.accept(change('b', 3));
    order.accept(unordered);
    order.accept(change('a', 11));
    order.accept(change('b', 4));
    expect(seen).toEqual(['a10', 'b3', '-', 'a11', 'a12', 'b4']);
    order.close();
  });

  it('gives a missing change up after the gap time, and never holds back a late one', async () => {
    const seen: number[] = [];
    const order = new VersionOrder(40, (e) => seen.push(e.order!.version));
    order.accept(change('a', 1));
    order.accept(change('a', 3));
    order.accept(change('a', 4));
    expect(seen).toEqual([1]);
    await sleep(80);
    expect(seen).toEqual([1, 3, 4]);
    order.accept(change('a', 2));
    expect(seen).toEqual([1, 3, 4, 2]);
    order.accept(change('a', 5));
    expect(seen).toEqual([1, 3, 4, 2, 5]);
    order.close();
  });
});
