import type { Broker } from '@parley/core';
import { runBrokerConformance } from '@parley/core/testing';
import { describe, it } from 'vitest';
import { describeWithService, redisUnavailable } from '../../../test-support/services.js';
import { createRedisBroker } from '../src/index.js';
import { deleteKeys, REDIS_URL, testPrefix } from './redis-kit.js';

const prefixes = new Map<Broker, string>();

describeWithService('Redis broker', await redisUnavailable(), () => {
  runBrokerConformance({
    name: 'redis streams',
    describe,
    it,
    // Several nodes: a broker (and connections) each, one stream under a fresh prefix.
    createBrokers: (count) => {
      const prefix = testPrefix('broker-conformance');
      const brokers = Array.from({ length: count }, () => createRedisBroker({ url: REDIS_URL, prefix }));
      for (const broker of brokers) prefixes.set(broker, prefix);
      return brokers;
    },
    destroyBrokers: async (brokers) => {
      await deleteKeys(prefixes.get(brokers[0]!)!);
      for (const broker of brokers) prefixes.delete(broker);
    },
  });
});
