import type { Database } from 'better-sqlite3';

/**
 * Versioned schema changes, applied in order on open; `PRAGMA user_version` records the
 * last one applied. Never edit a released migration: add the next one. Numbers were handed
 * out to branches that merged out of order, so a database may be at 8 without 6: a migration
 * numbered below one merged before it names a table it `creates`, and is applied when that
 * table is missing.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string; creates?: string }> = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE conversations (
        id              TEXT PRIMARY KEY,
        type            TEXT NOT NULL CHECK (type IN ('direct', 'group')),
        name            TEXT,
        description     TEXT,
        avatar_url      TEXT,
        created_by      TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        last_seq        INTEGER NOT NULL DEFAULT 0,
        version         INTEGER NOT NULL DEFAULT 0,
        last_message_id TEXT,
        direct_key      TEXT UNIQUE
      );

      CREATE TABLE members (
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        user_id         TEXT NOT NULL,
        role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        joined_at       TEXT NOT NULL,
        last_read_seq   INTEGER NOT NULL DEFAULT 0,
        last_read_at    TEXT,
        muted_until     TEXT,
        archived_at     TEXT,
        PRIMARY KEY (conversation_id, user_id)
      ) WITHOUT ROWID;
      -- A user's conversation list and conversation ids.
      CREATE INDEX members_by_user ON members (user_id, conversation_id);

      CREATE TABLE messages (
        rowid                INTEGER PRIMARY KEY,
        id                   TEXT NOT NULL UNIQUE,
        conversation_id      TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq                  INTEGER NOT NULL,
        sender_id            TEXT NOT NULL,
        type                 TEXT NOT NULL,
        content              TEXT,
        reply_to_id          TEXT,
        attachments          TEXT NOT NULL DEFAULT '[]',
        metadata             TEXT,
        client_message_id    TEXT,
        created_at           TEXT NOT NULL,
        edited_at            TEXT,
        deleted_at           TEXT,
        deleted_for_everyone INTEGER NOT NULL DEFAULT 0,
        version              INTEGER NOT NULL,
        -- Pages, unread counts and catch-up by seq.
        UNIQUE (conversation_id, seq),
        -- Idempotent send.
        UNIQUE (conversation_id, sender_id, client_message_id)
      );
      -- Catch-up: messages changed since a version.
      CREATE INDEX messages_by_version ON messages (conversation_id, version);

      CREATE TABLE hidden_messages (
        message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        user_id    TEXT NOT NULL,
        PRIMARY KEY (message_id, user_id)
      ) WITHOUT ROWID;

      CREATE TABLE reactions (
        id         INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        user_id    TEXT NOT NULL,
        emoji      TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (message_id, user_id, emoji)
      );
      -- Distinct emoji per message.
      CREATE INDEX reactions_by_emoji ON reactions (message_id, emoji);

      CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        kind            TEXT NOT NULL,
        message_id      TEXT NOT NULL,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        attempts        INTEGER NOT NULL DEFAULT 0,
        status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'dead')),
        next_attempt_at TEXT NOT NULL,
        last_error      TEXT,
        created_at      TEXT NOT NULL
      );
      CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id);

      -- Folded text (lower case, no diacritics) of live messages; rowid = messages.rowid.
      CREATE VIRTUAL TABLE message_search USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2');
    `,
  },
  {
    version: 2,
    name: 'catch-up reports messages deleted for me',
    sql: `
      -- The conversation's version when the message was hidden, so getChangesSince can
      -- tell a user's other devices about it.
      ALTER TABLE hidden_messages ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX hidden_by_user ON hidden_messages (user_id, version);
    `,
  },
  {
    version: 3,
    name: 'uploaded attachments',
    sql: `
      -- Files uploaded through Parley; their bytes live in the AttachmentStore. No foreign
      -- keys: a row outlives its conversation and message until the purge deletes its bytes.
      CREATE TABLE attachments (
        id                TEXT PRIMARY KEY,
        conversation_id   TEXT NOT NULL,
        uploader_id       TEXT NOT NULL,
        storage_key       TEXT NOT NULL,
        name              TEXT NOT NULL,
        declared_type     TEXT NOT NULL,
        mime_type         TEXT,
        size              INTEGER NOT NULL,
        status            TEXT NOT NULL CHECK (status IN ('pending', 'complete', 'purging')),
        message_id        TEXT,
        created_at        TEXT NOT NULL,
        completed_at      TEXT,
        expires_at        TEXT NOT NULL,
        purge_lease_until TEXT
      );
      CREATE INDEX attachments_by_message ON attachments (message_id) WHERE message_id IS NOT NULL;
      CREATE INDEX attachments_by_conversation ON attachments (conversation_id);
      -- The purge's two queries: unused past expiry, and those marked for deletion.
      CREATE INDEX attachments_unused ON attachments (expires_at) WHERE message_id IS NULL;
      CREATE INDEX attachments_purging ON attachments (created_at) WHERE status = 'purging';
    `,
  },
  {
    version: 4,
    name: 'moderation',
    sql: `
      ALTER TABLE conversations ADD COLUMN slow_mode_seconds INTEGER NOT NULL DEFAULT 0;
      -- Muted by a moderator: reads, cannot send until then.
      ALTER TABLE members ADD COLUMN silenced_until TEXT;
      CREATE TABLE bans (
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        user_id         TEXT NOT NULL,
        banned_by       TEXT NOT NULL,
        reason          TEXT,
        created_at      TEXT NOT NULL,
        expires_at      TEXT,
        PRIMARY KEY (conversation_id, user_id)
      );
      CREATE TABLE blocks (
        user_id    TEXT NOT NULL,
        blocked_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (user_id, blocked_id)
      );
      CREATE TABLE reports (
        id              TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        message_id      TEXT NOT NULL,
        reporter_id     TEXT NOT NULL,
        reason          TEXT NOT NULL,
        note            TEXT,
        status          TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
        created_at      TEXT NOT NULL,
        resolved_by     TEXT,
        resolved_at     TEXT,
        resolution      TEXT,
        UNIQUE (message_id, reporter_id)
      );
      CREATE INDEX reports_queue ON reports (status, created_at, id);
      CREATE INDEX reports_by_conversation ON reports (conversation_id, status, created_at, id);
      CREATE TABLE audit_log (
        id              TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        actor_id        TEXT NOT NULL,
        action          TEXT NOT NULL,
        target_user_id  TEXT,
        message_id      TEXT,
        data            TEXT,
        created_at      TEXT NOT NULL
      );
      CREATE INDEX audit_by_conversation ON audit_log (conversation_id, created_at, id);
    `,
  },
  {
    version: 5,
    name: 'threads and mentions',
    sql: `
      -- A thread reply names its root; it shares the conversation's seq and version counters.
      ALTER TABLE messages ADD COLUMN thread_id TEXT;
      ALTER TABLE messages ADD COLUMN also_to_conversation INTEGER NOT NULL DEFAULT 0;
      -- A root's summary, moved by each reply's insert in the same transaction.
      ALTER TABLE messages ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE messages ADD COLUMN last_reply_at TEXT;
      ALTER TABLE messages ADD COLUMN thread_participants TEXT;
      -- Mentioned user ids (a JSON array), and @everyone.
      ALTER TABLE messages ADD COLUMN mentions TEXT;
      ALTER TABLE messages ADD COLUMN mention_everyone INTEGER NOT NULL DEFAULT 0;
      -- A thread pages by seq from this index alone, however long it is.
      CREATE INDEX messages_by_thread ON messages (thread_id, seq) WHERE thread_id IS NOT NULL;
      -- The timeline pages past a long thread's replies without reading them.
      CREATE INDEX messages_timeline ON messages (conversation_id, seq) WHERE thread_id IS NULL OR also_to_conversation = 1;
      -- Who follows a thread and how far they read it.
      CREATE TABLE thread_reads (
        thread_id       TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        user_id         TEXT NOT NULL,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        last_read_seq   INTEGER NOT NULL,
        last_read_at    TEXT,
        PRIMARY KEY (thread_id, user_id)
      ) WITHOUT ROWID;
      CREATE INDEX thread_reads_by_user ON thread_reads (user_id, conversation_id);
    `,
  },
  {
    version: 6,
    name: 'pins and edit history',
    creates: 'pins',
    sql: `
      -- One pin per message; the conversation's pins are counted and listed through the index.
      CREATE TABLE pins (
        message_id      TEXT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        pinned_by       TEXT NOT NULL,
        pinned_at       TEXT NOT NULL,
        expires_at      TEXT
      ) WITHOUT ROWID;
      CREATE INDEX pins_by_conversation ON pins (conversation_id, pinned_at, message_id);
      -- A message's earlier texts; id orders them as the edits were stored.
      CREATE TABLE message_edits (
        id          INTEGER PRIMARY KEY,
        message_id  TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        content     TEXT,
        created_at  TEXT NOT NULL,
        replaced_at TEXT NOT NULL
      );
      CREATE INDEX message_edits_by_message ON message_edits (message_id, id);
    `,
  },
  {
    version: 7,
    name: 'retention, and a user\'s data export and erase',
    sql: `
      -- A conversation's own retention in seconds (NULL: the global one), and how far
      -- retention has removed its timeline (every seq up to this one is gone).
      ALTER TABLE conversations ADD COLUMN retention_seconds INTEGER;
      ALTER TABLE conversations ADD COLUMN purged_through_seq INTEGER NOT NULL DEFAULT 0;
      -- Periodic jobs that one node at a time runs (retention).
      CREATE TABLE job_leases (
        job         TEXT PRIMARY KEY,
        holder      TEXT NOT NULL,
        lease_until TEXT NOT NULL
      );
      -- A user's messages and reactions, for their export and erase.
      CREATE INDEX messages_by_sender ON messages (sender_id, created_at, id);
      CREATE INDEX reactions_by_user ON reactions (user_id, message_id, emoji);
      -- Outbox rows and files of the messages retention or an erase removes.
      CREATE INDEX outbox_by_message ON outbox (message_id);
      CREATE INDEX attachments_by_uploader ON attachments (uploader_id);
    `,
  },
  {
    version: 8,
    name: 'webhook deliveries',
    sql: `
      -- One row per webhook event and endpoint, written in the transaction of the change that
      -- raised the event. No foreign key: a delivery outlives its conversation (its deletion
      -- is an event too). The body is kept as sent, so retries send the same bytes.
      CREATE TABLE webhook_deliveries (
        id              TEXT PRIMARY KEY,
        event_id        TEXT NOT NULL,
        endpoint_id     TEXT NOT NULL,
        event_type      TEXT NOT NULL,
        conversation_id TEXT,
        body            TEXT NOT NULL,
        status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error      TEXT,
        created_at      TEXT NOT NULL,
        delivered_at    TEXT,
        UNIQUE (event_id, endpoint_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at, id);
      CREATE INDEX webhook_deliveries_listed ON webhook_deliveries (status, created_at, id);
      CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at, id);
    `,
  },
  {
    version: 9,
    name: 'search indexed after the commit',
    sql: `
      -- Messages up to this rowid are in message_search; the rows above it are indexed in a
      -- batch after their sends commit (SearchIndexer). Every message so far was indexed in
      -- its send's transaction.
      CREATE TABLE search_state (
        id           INTEGER PRIMARY KEY CHECK (id = 1),
        indexed_upto INTEGER NOT NULL
      );
      INSERT INTO search_state (id, indexed_upto) VALUES (1, (SELECT COALESCE(MAX(rowid), 0) FROM messages));
    `,
  },
  {
    version: 10,
    name: 'an index of changed messages only',
    sql: `
      -- Catch-up's changes are the messages whose version moved after their insert (an edit,
      -- a delete, a reaction, a thread reply on a root): only those need an index by version,
      -- so an insert no longer pays for one. New rows are stored with changed = 0; the rows
      -- already here count as changed, since nobody knows which of them were. Any statement
      -- that moves a message's version marks it (the trigger), so no write path can forget.
      ALTER TABLE messages ADD COLUMN changed INTEGER NOT NULL DEFAULT 1;
      CREATE INDEX messages_changed ON messages (conversation_id, version) WHERE changed = 1;
      DROP INDEX messages_by_version;
      CREATE TRIGGER messages_version_moved AFTER UPDATE OF version ON messages
        WHEN NEW.version <> OLD.version AND NEW.changed = 0
      BEGIN
        UPDATE messages SET changed = 1 WHERE rowid = NEW.rowid;
      END;
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings the schema up to date in one transaction; refuses a database from a newer Parley. */
export function migrate(db: Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > LATEST_VERSION) {
    throw new Error(`This database has schema version ${current}, newer than this Parley (${LATEST_VERSION}); upgrade @parley/adapter-sqlite`);
  }
  const missing = (m: (typeof MIGRATIONS)[number]) =>
    m.version <= current && m.creates !== undefined && db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(m.creates) === undefined;
  const pending = MIGRATIONS.filter((m) => m.version > current || missing(m));
  if (pending.length === 0) return current;
  db.transaction(() => {
    for (const migration of pending) {
      db.exec(migration.sql);
      db.pragma(`user_version = ${Math.max(current, migration.version)}`);
    }
  }).immediate();
  return LATEST_VERSION;
}
