export { createPostgresStore, type PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { MIGRATIONS, LATEST_VERSION, migrate } from './migrations.js';
export { classifyPostgresFailure } from './failures.js';
