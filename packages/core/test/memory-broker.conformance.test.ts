import { describe, it } from 'vitest';
import { createMemoryBroker, createMemoryBus } from '../src/index.js';
import { runBrokerConformance } from '../src/testing/index.js';

runBrokerConformance({
  name: 'memory',
  describe,
  it,
  createBrokers: (count) => {
    const bus = createMemoryBus();
    return Array.from({ length: count }, () => createMemoryBroker({ bus }));
  },
});
