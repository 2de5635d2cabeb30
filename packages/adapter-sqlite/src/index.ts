export { createSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { MIGRATIONS, LATEST_VERSION, migrate } from './migrations.js';
export { ftsExpression } from './search.js';
