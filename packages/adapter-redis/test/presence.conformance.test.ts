import type { PresenceStore } from '@parley/core';
import { runPresenceConformance } from '@parley/core/testing';
import { describe, it } from 'vitest';
import { describeWithService, redisUnavailable } from '../../../test-support/services.js';
import { createRedisPresence } from '../src/index.js';
import { deleteKeys, REDIS_URL, testPrefix } from './redis-kit.js';

const prefixes = new Map<PresenceStore, string>();

describeWithService('Redis presence', await redisUnavailable(), () => {
  runPresenceConformance({
    name: 'redis',
    describe,
    it,
    createPresence: () => {
      const prefix = testPrefix('presence-conformance');
      const presence = createRedisPresence({ url: REDIS_URL, prefix });
      prefixes.set(presence, prefix);
      return presence;
    },
    destroyPresence: async (presence) => {
      await deleteKeys(prefixes.get(presence)!);
      prefixes.delete(presence);
    },
  });
});
