import { silentLogger, type ChatStore, type Logger } from '@parley/core';
import { classifyStoreFailures } from '@parley/core/adapter-kit';
import pg, { type Pool } from 'pg';
import { Database } from './database.js';
import { classifyPostgresFailure } from './failures.js';
import { migrate } from './migrations.js';
import { pgConversations } from './pg-conversations.js';
import { pgMessages } from './pg-messages.js';
import { pgThreads } from './pg-threads.js';
import { pgOutbox } from './pg-outbox.js';
import { pgSearch } from './pg-search.js';
import { pgAttachments } from './pg-attachments.js';
import { pgModeration } from './pg-moderation.js';
import { pgRetention } from './pg-retention.js';
import { pgPins } from './pg-pins.js';
import { pgWebhooks } from './pg-webhooks.js';

export interface PostgresStoreOptions {
  /** A pool the host owns; Parley then never ends it. Give this or `connectionString`. */
  pool?: Pool;
  /** `postgres://user@host:5432/db`: Parley creates the pool and ends it on `close()`. */
  connectionString?: string;
  /** Connections in the pool Parley creates. Default 10. */
  maxConnections?: number;
  /** The schema holding Parley's tables, created when missing. Default `parley`. */
  schema?: string;
  logger?: Logger;
}

export interface PostgresStore extends ChatStore {
  readonly pool: Pool;
  readonly schema: string;
}

/**
 * ChatStore on PostgreSQL. `init()` (which `createChatServices` calls, and every call waits
 * for) applies the migrations under an advisory lock, so nodes may start together. Sends are
 * group-committed: one batch is one round trip to a stored function that locks the
 * conversations, settles membership and idempotency on current data and allocates seq and
 * version. Every other change that depends on a read locks the row it depends on (the
 * conversation, the message, the member) in its transaction. Failures are classified for
 * core: serialization failures, deadlocks and refused connections are retried, a database
 * that is down is UNAVAILABLE, anything else is a bug.
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  if (options.pool === undefined && options.connectionString === undefined) {
    throw new TypeError('createPostgresStore needs a pool or a connectionString');
  }
  const schema = options.schema ?? 'parley';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new TypeError(`schema must be a plain identifier, got ${JSON.stringify(schema)}`);
  const logger = options.logger ?? silentLogger;
  const owned = options.pool === undefined;
  const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 });
  // An idle connection that dies (a database restart) is reported here; without a listener
  // Node would crash the process. The next query gets a new connection.
  const onPoolError = (error: Error) => logger.warn('postgres: an idle connection failed', { error: error.message });
  pool.on('error', onPoolError);
  const db = new Database(pool, schema);
  let closed = false;

  const store = classifyStoreFailures(
    {
      async init() {
        await migrate(pool, schema);
      },
      ...pgConversations(db),
      ...pgMessages(db),
      ...pgThreads(db),
      ...pgSearch(db),
      ...pgOutbox(db),
      ...pgAttachments(db),
      ...pgModeration(db),
      ...pgRetention(db),
      ...pgPins(db),
      ...pgWebhooks(db),
      async ping() {
        await pool.query('SELECT 1');
      },
      async close() {
        if (closed) return;
        closed = true;
        if (owned) await pool.end();
        else pool.off('error', onPoolError);
      },
    } satisfies ChatStore,
    classifyPostgresFailure,
  );
  return Object.assign(store, { pool, schema });
}
