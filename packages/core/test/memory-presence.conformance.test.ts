import { describe, it } from 'vitest';
import { createMemoryPresence } from '../src/index.js';
import { runPresenceConformance } from '../src/testing/index.js';

runPresenceConformance({ name: 'memory', describe, it, createPresence: () => createMemoryPresence() });
