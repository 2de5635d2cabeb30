export { createLocalAttachmentStore, type LocalAttachmentStore, type LocalAttachmentStoreOptions } from './local-attachment-store.js';
