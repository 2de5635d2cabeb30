import type { Broker } from '@parley/core';
import { z } from 'zod';
import { openConnection, parseOptions, type RedisConnectionOptions } from './connection.js';
import { startStreamReader, type StreamReader } from './stream-reader.js';

export interface RedisBrokerOptions extends RedisConnectionOptions {
  /** The stream's name under `prefix`. Default `events`. */
  stream?: string;
  /**
   * About how many envelopes the stream keeps (`XADD MAXLEN ~`): a node away for longer than
   * it takes the cluster to publish this many is told to resync. Default 100 000.
   */
  maxLen?: number;
  /** How long one blocking read waits before it is issued again. Default 5 000 ms. */
  blockMs?: number;
  /** How long `healthCheck` waits for PING before answering false. Default 1 000 ms. */
  healthTimeoutMs?: number;
}

const positive = z.number().int().positive();
const shape = {
  stream: z.string().min(1, 'must not be empty').default('events'),
  maxLen: positive.default(100_000),
  blockMs: positive.default(5_000),
  healthTimeoutMs: positive.default(1_000),
};

/**
 * Broker on a Redis Stream. `publish` appends the envelope (JSON) to one stream shared by
 * every node; each subscription reads it on a connection of its own from where it stood, so
 * a node that loses Redis for a while gets what it missed once it is back, in order. Only
 * when the stream was trimmed past what a node had read does it call `onGap` (see
 * stream-reader.ts). Publishing and subscribing fail within `commandTimeoutMs` /
 * `connectTimeoutMs` while Redis is down, so the hub can fall back and retry.
 */
export function createRedisBroker(options: RedisBrokerOptions): Broker {
  const config = parseOptions('createRedisBroker', shape, options);
  const connection = openConnection(config, 'broker');
  const key = `${connection.prefix}${config.stream}`;
  const readers = new Set<StreamReader>();
  let closed = false;

  return {
    async publish(envelope) {
      if (closed) throw new Error('broker is closed');
      const wire = JSON.stringify(envelope);
      await connection.call('broker.publish', (client) => client.xadd(key, 'MAXLEN', '~', config.maxLen, '*', 'e', wire));
    },

    async subscribe(handler, subscribeOptions) {
      if (closed) throw new Error('broker is closed');
      const reader = await startStreamReader({
        source: connection.client,
        key,
        prefix: connection.prefix,
        blockMs: config.blockMs,
        commandTimeoutMs: connection.commandTimeoutMs,
        connectTimeoutMs: connection.connectTimeoutMs,
        logger: connection.logger,
        handler,
        onGap: subscribeOptions?.onGap,
      });
      if (closed) {
        await reader.stop();
        throw new Error('broker is closed');
      }
      readers.add(reader);
      return async () => {
        readers.delete(reader);
        await reader.stop();
      };
    },

    async healthCheck() {
      if (closed) return false;
      // A reader cut off from Redis means this node hears nobody, even if PING works.
      return [...readers].every((reader) => reader.connected) && (await connection.ping(config.healthTimeoutMs));
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...readers].map((reader) => reader.stop()));
      readers.clear();
      await connection.close();
    },
  };
}
