import { describe, it } from 'vitest';
import { createMemoryAttachmentStore, type MemoryAttachmentStore } from '../src/index.js';
import { runAttachmentStorageConformance } from '../src/testing/index.js';

let current: MemoryAttachmentStore;
runAttachmentStorageConformance({
  name: 'memory',
  describe,
  it,
  createStorage: () => (current = createMemoryAttachmentStore()),
  fetch: (url, init) => current.fetch(url, init),
});
