/**
 * `@parley/attachments-s3`: Parley's file uploads on S3 or any S3-compatible service, with
 * presigned PUT uploads and presigned GET downloads — the bytes never pass through Parley.
 */
export { createS3AttachmentStore, InvalidKeyError, type S3AttachmentStore } from './s3-attachment-store.js';
export type { S3AttachmentStoreOptions } from './options.js';
export { MAX_PRESIGN_SECONDS } from './presign.js';
export { DELETE_BATCH } from './s3-objects.js';
