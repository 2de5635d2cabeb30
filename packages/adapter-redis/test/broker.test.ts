import type { Broker, BrokerEnvelope } from '@parley/core';
import { waitFor } from '@parley/core/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithService, redisUnavailable } from '../../../test-support/services.js';
import { createRedisBroker } from '../src/index.js';
import { adminClient, clientIds, deadPort, deleteKeys, REDIS_URL, startRedisProxy, testPrefix, type RedisProxy } from './redis-kit.js';

const filePrefix = testPrefix('broker');
let cases = 0;
/** A prefix (and so a stream) per case, under the file's prefix. */
const casePrefix = () => `${filePrefix}${(cases += 1)}:`;
const envelope = (i: number): BrokerEnvelope => ({ origin: 'node-a', event: 'new_message', target: { kind: 'nodes' }, data: { i } });
const numbers = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

describeWithService('Redis broker: outages, trims and ownership', await redisUnavailable(), () => {
  let admin: Redis;
  const cleanup: Array<() => Promise<void> | void> = [];
  const broker = (options: Parameters<typeof createRedisBroker>[0]): Broker => {
    const created = createRedisBroker(options);
    cleanup.push(() => created.close?.());
    return created;
  };
  const proxy = async (): Promise<RedisProxy> => {
    const started = await startRedisProxy();
    cleanup.push(() => started.close());
    return started;
  };
  /** A subscriber that records what it gets and every gap. */
  const listen = async (b: Broker) => {
    const got: number[] = [];
    const gaps: string[] = [];
    const stop = await b.subscribe((e) => got.push((e.data as { i: number }).i), { onGap: (reason) => gaps.push(reason) });
    return { got, gaps, stop };
  };

  beforeAll(async () => {
    admin = await adminClient();
  });
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  afterAll(async () => {
    await deleteKeys(filePrefix);
    admin.disconnect();
  });

  it('a reader whose connection is killed reconnects and gets what was published meanwhile, in order, without onGap', async () => {
    const prefix = casePrefix();
    const a = broker({ url: REDIS_URL, prefix });
    const b = broker({ url: REDIS_URL, prefix });
    const { got, gaps } = await listen(b);
    await a.publish(envelope(0));
    await waitFor(() => got.length === 1, 5_000, 'the first envelope');

    const [reader] = await clientIds(admin, `${prefix}reader-`);
    expect(reader).toBeDefined();
    await admin.call('CLIENT', 'KILL', 'ID', reader!);
    for (const i of numbers(1, 50)) await a.publish(envelope(i));

    await waitFor(() => got.length === 51, 10_000, '50 envelopes after the reconnect');
    expect(got).toEqual(numbers(0, 50));
    expect(gaps).toEqual([]);
    const readers = await clientIds(admin, `${prefix}reader-`);
    expect(readers).toHaveLength(1);
    expect(readers).not.toContain(reader);
  });

  it('a node cut off from Redis for a while catches up once the link is back, in order, without onGap', async () => {
    const prefix = casePrefix();
    const link = await proxy();
    const a = broker({ url: REDIS_URL, prefix });
    const b = broker({ url: link.url, prefix });
    const { got, gaps } = await listen(b);
    await a.publish(envelope(0));
    await waitFor(() => got.length === 1, 5_000, 'the first envelope');

    link.cut();
    await waitFor(async () => !(await b.healthCheck()), 10_000, 'the cut-off node to notice');
    for (const i of numbers(1, 200)) await a.publish(envelope(i));
    link.restore();

    await waitFor(() => got.length === 201, 15_000, 'the 200 envelopes published during the outage');
    expect(got).toEqual(numbers(0, 200));
    expect(gaps).toEqual([]);
    await waitFor(() => b.healthCheck(), 10_000, 'health back');
  });

  it('a node whose missed envelopes were trimmed meanwhile gets onGap once, then what is left and everything after', async () => {
    const prefix = casePrefix();
    const link = await proxy();
    const a = broker({ url: REDIS_URL, prefix });
    const b = broker({ url: link.url, prefix });
    const { got, gaps } = await listen(b);
    await a.publish(envelope(0));
    await waitFor(() => got.length === 1, 5_000, 'the first envelope');

    link.cut();
    for (const i of numbers(1, 50)) await a.publish(envelope(i));
    // An exact trim, as `MAXLEN ~` does by whole blocks on a busy stream: 1–45 are gone.
    await admin.xtrim(`${prefix}events`, 'MAXLEN', 5);
    link.restore();

    await waitFor(() => got.includes(50), 15_000, 'the envelopes left after the trim');
    expect(got).toEqual([0, ...numbers(46, 50)]);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatch(/trimmed/);

    for (const i of numbers(51, 60)) await a.publish(envelope(i));
    await waitFor(() => got.includes(60), 5_000, 'envelopes after the gap');
    expect(got).toEqual([0, ...numbers(46, 60)]);
    expect(gaps).toHaveLength(1);
  });

  it('a stream lost under a reader (deleted, as a Redis restart without persistence does) is a gap; the new stream is read from its start', async () => {
    const prefix = casePrefix();
    const a = broker({ url: REDIS_URL, prefix });
    const b = broker({ url: REDIS_URL, prefix });
    const { got, gaps } = await listen(b);
    for (const i of numbers(0, 2)) await a.publish(envelope(i));
    await waitFor(() => got.length === 3, 5_000, 'three envelopes');

    await admin.del(`${prefix}events`);
    await a.publish(envelope(3));
    await a.publish(envelope(4));

    await waitFor(() => got.includes(4), 15_000, 'envelopes of the new stream');
    expect(got).toEqual(numbers(0, 4));
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatch(/recreated/);
  });

  it('a subscriber gets what is published after subscribe resolves, and nothing from before', async () => {
    const prefix = casePrefix();
    const a = broker({ url: REDIS_URL, prefix });
    await a.publish(envelope(0));
    const { got } = await listen(a);
    await a.publish(envelope(1));
    await a.publish(envelope(2));
    await waitFor(() => got.includes(2), 5_000, 'envelopes after subscribe');
    expect(got).toEqual([1, 2]);
  });

  it('publish, subscribe and healthCheck fail within a bounded time when nothing listens at the URL', async () => {
    const b = broker({ url: `redis://127.0.0.1:${await deadPort()}`, prefix: casePrefix() });
    await expect(b.publish(envelope(0))).rejects.toThrow(/broker\.publish/);
    await expect(b.subscribe(() => undefined)).rejects.toThrow(/broker\.subscribe/);
    expect(await b.healthCheck()).toBe(false);
  });

  it('a host client with default ioredis retries still fails fast: calls are bounded by commandTimeoutMs', async () => {
    // ioredis alone would queue this publish through twenty reconnect attempts.
    const client = new Redis(`redis://127.0.0.1:${await deadPort()}`);
    client.on('error', () => undefined);
    cleanup.push(() => client.disconnect());
    const b = broker({ client, prefix: casePrefix(), commandTimeoutMs: 300, connectTimeoutMs: 300 });
    await expect(b.publish(envelope(0))).rejects.toThrow(/broker\.publish/);
    await expect(b.subscribe(() => undefined)).rejects.toThrow(/broker\.subscribe/);
  });

  it('unsubscribe and close end the reader connections and leave a host client open', async () => {
    const prefix = casePrefix();
    const client = await adminClient();
    cleanup.push(() => client.disconnect());
    const b = createRedisBroker({ client, prefix });
    const first = await listen(b);
    await listen(b);
    expect(await clientIds(admin, `${prefix}reader-`)).toHaveLength(2);

    await first.stop();
    await waitFor(async () => (await clientIds(admin, `${prefix}reader-`)).length === 1, 5_000, 'one reader left');
    await b.close?.();
    await waitFor(async () => (await clientIds(admin, `${prefix}reader-`)).length === 0, 5_000, 'no reader left');
    expect(await client.ping()).toBe('PONG');
    await expect(b.publish(envelope(1))).rejects.toThrow(/closed/);
  });
});
