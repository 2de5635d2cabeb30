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
const label = (e: BrokerEnvelope) => `${e.order?.conversationId ?? '-'}${e.order?.version ?? ''}`;

describe('VersionOrder', () => {
  it('holds a change until its predecessor arrives, per conversation', async () => {
    const seen: string[] = [];
    const order = new VersionOrder(1_000, (e) => seen.push(label(e)), Date.now, 20);
    order.accept(change('a', 10));
    order.accept(change('b', 3));
    await sleep(40); // the first changes heard of have settled
    order.accept(change('a', 12));
    order.accept(unordered);
    order.accept(change('a', 11));
    order.accept(change('b', 4));
    expect(seen).toEqual(['a10', 'b3', '-', 'a11', 'a12', 'b4']);
    order.close();
  });

  it('the first changes heard of in a conversation line up behind the lowest, whatever arrived first', async () => {
    const seen: string[] = [];
    const order = new VersionOrder(1_000, (e) => seen.push(label(e)), Date.now, 30);
    order.accept(change('a', 3)); // overtook its predecessors on the way
    order.accept(change('a', 1));
    order.accept(change('a', 2));
    expect(seen).toEqual([]);
    await sleep(60);
    expect(seen).toEqual(['a1', 'a2', 'a3']);
    order.close();
  });

  it('gives a missing change up after the gap time, and never holds back a late one', async () => {
    const seen: number[] = [];
    const order = new VersionOrder(40, (e) => seen.push(e.order!.version), Date.now, 10);
    order.accept(change('a', 1));
    await sleep(20);
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
