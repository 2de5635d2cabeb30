import type { Pool } from 'pg';

/**
 * Versioned schema changes, applied in order by `init()`. `{s}` stands for the store's
 * schema (quoted), so one database can hold several Parley stores. Never edit a released
 * migration: add the next one.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      -- Folded text for search: lower case, no diacritics (đ → d), as one immutable function so
      -- an index or a generated column may use it. unaccent is called with its dictionary
      -- named, which is what makes the wrapper safe to declare immutable.
      CREATE FUNCTION {s}.fold(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        RETURN lower({unaccent}.unaccent('{unaccent}.unaccent'::regdictionary, normalize($1, NFC)));

      -- Ids and keys compare byte by byte (COLLATE "C"), as in every other store.
      CREATE TABLE {s}.conversations (
        id              text COLLATE "C" PRIMARY KEY,
        type            text NOT NULL CHECK (type IN ('direct', 'group')),
        name            text,
        description     text,
        avatar_url      text,
        created_by      text COLLATE "C" NOT NULL,
        created_at      timestamptz NOT NULL,
        updated_at      timestamptz NOT NULL,
        last_seq        bigint NOT NULL DEFAULT 0,
        version         bigint NOT NULL DEFAULT 0,
        last_message_id text COLLATE "C",
        direct_key      text COLLATE "C" UNIQUE
      );
      -- Conversation lists by last activity.
      CREATE INDEX conversations_by_activity ON {s}.conversations (updated_at DESC, id DESC);

      CREATE TABLE {s}.members (
        conversation_id text COLLATE "C" NOT NULL REFERENCES {s}.conversations (id) ON DELETE CASCADE,
        user_id         text COLLATE "C" NOT NULL,
        role            text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        joined_at       timestamptz NOT NULL,
        last_read_seq   bigint NOT NULL DEFAULT 0,
        last_read_at    timestamptz,
        muted_until     timestamptz,
        archived_at     timestamptz,
        PRIMARY KEY (conversation_id, user_id)
      );
      -- A user's conversations and contacts.
      CREATE INDEX members_by_user ON {s}.members (user_id, conversation_id);

      CREATE TABLE {s}.messages (
        id                   text COLLATE "C" PRIMARY KEY,
        conversation_id      text COLLATE "C" NOT NULL REFERENCES {s}.conversations (id) ON DELETE CASCADE,
        seq                  bigint NOT NULL,
        sender_id            text COLLATE "C" NOT NULL,
        type                 text COLLATE "C" NOT NULL,
        content              text,
        reply_to_id          text COLLATE "C",
        attachments          jsonb NOT NULL DEFAULT '[]',
        metadata             jsonb,
        client_message_id    text COLLATE "C",
        created_at           timestamptz NOT NULL,
        edited_at            timestamptz,
        deleted_at           timestamptz,
        deleted_for_everyone boolean NOT NULL DEFAULT false,
        version              bigint NOT NULL,
        -- Live, non-system text, folded; the message_search index reads it.
        search               tsvector GENERATED ALWAYS AS (
          CASE WHEN deleted_for_everyone OR type = 'system' OR content IS NULL THEN NULL
               ELSE to_tsvector('simple', {s}.fold(content)) END
        ) STORED,
        -- Pages, unread counts and catch-up by seq.
        UNIQUE (conversation_id, seq),
        -- Idempotent send.
        UNIQUE (conversation_id, sender_id, client_message_id)
      );
      -- Catch-up: messages changed since a version.
      CREATE INDEX messages_by_version ON {s}.messages (conversation_id, version);
      CREATE INDEX message_search ON {s}.messages USING gin (search);

      CREATE TABLE {s}.hidden_messages (
        message_id text COLLATE "C" NOT NULL REFERENCES {s}.messages (id) ON DELETE CASCADE,
        user_id    text COLLATE "C" NOT NULL,
        version    bigint NOT NULL,
        PRIMARY KEY (message_id, user_id)
      );
      CREATE INDEX hidden_by_user ON {s}.hidden_messages (user_id, version);

      CREATE TABLE {s}.reactions (
        id         bigserial PRIMARY KEY,
        message_id text COLLATE "C" NOT NULL REFERENCES {s}.messages (id) ON DELETE CASCADE,
        user_id    text COLLATE "C" NOT NULL,
        emoji      text COLLATE "C" NOT NULL,
        created_at timestamptz NOT NULL,
        UNIQUE (message_id, user_id, emoji)
      );
      -- Distinct emoji per message.
      CREATE INDEX reactions_by_emoji ON {s}.reactions (message_id, emoji);

      CREATE TABLE {s}.outbox (
        id              bigserial PRIMARY KEY,
        kind            text NOT NULL,
        message_id      text COLLATE "C" NOT NULL,
        conversation_id text COLLATE "C" NOT NULL REFERENCES {s}.conversations (id) ON DELETE CASCADE,
        attempts        integer NOT NULL DEFAULT 0,
        status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'dead')),
        next_attempt_at timestamptz NOT NULL,
        last_error      text,
        created_at      timestamptz NOT NULL
      );
      CREATE INDEX outbox_due ON {s}.outbox (status, next_attempt_at, id);

      -- A batch of sends in one round trip and one transaction. Locks the conversations'
      -- rows first (in id order, so batches never deadlock), then — each statement of a
      -- plpgsql function sees what committed before it began — settles idempotency and
      -- membership on current data, gives each message the next seq and version, moves the
      -- conversation along once per batch, and writes the notification outbox rows. Keys
      -- repeated within one batch are resolved by the caller before the call.
      CREATE FUNCTION {s}.insert_messages(
        p_id text[], p_conversation_id text[], p_sender_id text[], p_type text[], p_content text[],
        p_reply_to_id text[], p_attachments jsonb[], p_metadata jsonb[], p_client_message_id text[],
        p_created_at timestamptz[], p_notify boolean[]
      ) RETURNS TABLE (r_ord integer, r_status text, r_id text, r_seq bigint, r_version bigint)
      LANGUAGE plpgsql AS $fn$
      BEGIN
        PERFORM 1 FROM {s}.conversations c WHERE c.id = ANY (p_conversation_id) ORDER BY c.id FOR UPDATE;
        RETURN QUERY
        WITH input AS (
          SELECT u.*, u.o::integer AS ord
          FROM unnest(p_id, p_conversation_id, p_sender_id, p_type, p_content, p_reply_to_id, p_attachments, p_metadata,
                      p_client_message_id, p_created_at, p_notify)
            WITH ORDINALITY AS u(id, conversation_id, sender_id, type, content, reply_to_id, attachments, metadata,
                                 client_message_id, created_at, notify, o)
        ),
        stored AS (
          SELECT i.ord, m.id, m.seq, m.version FROM input i
          JOIN {s}.messages m ON m.conversation_id = i.conversation_id AND m.sender_id = i.sender_id
                              AND m.client_message_id = i.client_message_id
        ),
        numbered AS (
          SELECT i.*, row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.ord) AS n FROM input i
          WHERE NOT EXISTS (SELECT 1 FROM stored s WHERE s.ord = i.ord)
            AND EXISTS (SELECT 1 FROM {s}.conversations c WHERE c.id = i.conversation_id)
            AND (i.type = 'system' OR EXISTS (SELECT 1 FROM {s}.members mb
                                              WHERE mb.conversation_id = i.conversation_id AND mb.user_id = i.sender_id))
        ),
        totals AS (
          SELECT conversation_id, count(*) AS cnt, (array_agg(id ORDER BY ord DESC))[1] AS last_id,
                 (array_agg(created_at ORDER BY ord DESC))[1] AS last_at
          FROM numbered GROUP BY conversation_id
        ),
        bumped AS (
          UPDATE {s}.conversations c
          SET last_seq = c.last_seq + t.cnt, version = c.version + t.cnt, last_message_id = t.last_id, updated_at = t.last_at
          FROM totals t WHERE c.id = t.conversation_id
          RETURNING c.id, c.last_seq - t.cnt AS base_seq, c.version - t.cnt AS base_version
        ),
        inserted AS (
          INSERT INTO {s}.messages (id, conversation_id, seq, sender_id, type, content, reply_to_id, attachments, metadata,
                                    client_message_id, created_at, version)
          SELECT n.id, n.conversation_id, b.base_seq + n.n, n.sender_id, n.type, n.content, n.reply_to_id, n.attachments,
                 n.metadata, n.client_message_id, n.created_at, b.base_version + n.n
          FROM numbered n JOIN bumped b ON b.id = n.conversation_id
          RETURNING id, seq, version
        ),
        outboxed AS (
          INSERT INTO {s}.outbox (kind, message_id, conversation_id, next_attempt_at, created_at)
          SELECT 'message', n.id, n.conversation_id, n.created_at, n.created_at FROM numbered n
          WHERE n.notify AND EXISTS (SELECT 1 FROM inserted x WHERE x.id = n.id)
        )
        SELECT i.ord,
               CASE WHEN x.id IS NOT NULL THEN 'created' WHEN s.id IS NOT NULL THEN 'duplicate' ELSE 'refused' END,
               COALESCE(x.id, s.id), COALESCE(x.seq, s.seq), COALESCE(x.version, s.version)
        FROM input i
        LEFT JOIN inserted x ON x.id = i.id
        LEFT JOIN stored s ON s.ord = i.ord
        ORDER BY i.ord;
      END
      $fn$;
    `,
  },
  {
    version: 2,
    name: 'uploaded attachments',
    sql: `
      -- Files uploaded through Parley; their bytes live in the AttachmentStore. No foreign
      -- keys: a row outlives its conversation and message until the purge deletes its bytes.
      CREATE TABLE {s}.attachments (
        id                text COLLATE "C" PRIMARY KEY,
        conversation_id   text COLLATE "C" NOT NULL,
        uploader_id       text COLLATE "C" NOT NULL,
        storage_key       text NOT NULL,
        name              text NOT NULL,
        declared_type     text NOT NULL,
        mime_type         text,
        size              bigint NOT NULL,
        status            text NOT NULL CHECK (status IN ('pending', 'complete', 'purging')),
        message_id        text COLLATE "C",
        created_at        timestamptz NOT NULL,
        completed_at      timestamptz,
        expires_at        timestamptz NOT NULL,
        purge_lease_until timestamptz
      );
      CREATE INDEX attachments_by_message ON {s}.attachments (message_id) WHERE message_id IS NOT NULL;
      CREATE INDEX attachments_by_conversation ON {s}.attachments (conversation_id);
      -- The purge's two queries: unused past expiry, and those marked for deletion.
      CREATE INDEX attachments_unused ON {s}.attachments (expires_at) WHERE message_id IS NULL;
      CREATE INDEX attachments_purging ON {s}.attachments (created_at) WHERE status = 'purging';

      -- insert_messages, now also claiming each message's uploaded attachments.
      CREATE OR REPLACE FUNCTION {s}.insert_messages(
        p_id text[], p_conversation_id text[], p_sender_id text[], p_type text[], p_content text[],
        p_reply_to_id text[], p_attachments jsonb[], p_metadata jsonb[], p_client_message_id text[],
        p_created_at timestamptz[], p_notify boolean[]
      ) RETURNS TABLE (r_ord integer, r_status text, r_id text, r_seq bigint, r_version bigint)
      LANGUAGE plpgsql AS $fn$
      BEGIN
        PERFORM 1 FROM {s}.conversations c WHERE c.id = ANY (p_conversation_id) ORDER BY c.id FOR UPDATE;
        -- Then the uploaded attachments the batch names, so that a concurrent send or purge
        -- waits and the checks below see its outcome.
        PERFORM 1 FROM {s}.attachments t
        WHERE t.id IN (SELECT a.v->>'id' FROM unnest(p_attachments) AS arr(list), jsonb_array_elements(arr.list) AS a(v) WHERE a.v ? 'id')
        ORDER BY t.id FOR UPDATE;
        RETURN QUERY
        WITH input AS (
          SELECT u.*, u.o::integer AS ord
          FROM unnest(p_id, p_conversation_id, p_sender_id, p_type, p_content, p_reply_to_id, p_attachments, p_metadata,
                      p_client_message_id, p_created_at, p_notify)
            WITH ORDINALITY AS u(id, conversation_id, sender_id, type, content, reply_to_id, attachments, metadata,
                                 client_message_id, created_at, notify, o)
        ),
        stored AS (
          SELECT i.ord, m.id, m.seq, m.version FROM input i
          JOIN {s}.messages m ON m.conversation_id = i.conversation_id AND m.sender_id = i.sender_id
                              AND m.client_message_id = i.client_message_id
        ),
        uploads AS (
          SELECT i.ord, a.v->>'id' AS attachment_id FROM input i, jsonb_array_elements(i.attachments) AS a(v) WHERE a.v ? 'id'
        ),
        -- A message may claim its uploads when each is claimable (adapter-kit claimCondition)
        -- and no earlier message of the batch names it: one snapshot cannot see that claim.
        unusable AS (
          SELECT DISTINCT u.ord FROM uploads u JOIN input i ON i.ord = u.ord
          WHERE NOT EXISTS (SELECT 1 FROM {s}.attachments t WHERE t.id = u.attachment_id
                              AND t.status = 'complete' AND t.uploader_id = i.sender_id
                              AND t.conversation_id = i.conversation_id AND t.message_id IS NULL)
             OR EXISTS (SELECT 1 FROM uploads e WHERE e.attachment_id = u.attachment_id AND e.ord < u.ord)
        ),
        numbered AS (
          SELECT i.*, row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.ord) AS n FROM input i
          WHERE NOT EXISTS (SELECT 1 FROM stored s WHERE s.ord = i.ord)
            AND NOT EXISTS (SELECT 1 FROM unusable x WHERE x.ord = i.ord)
            AND EXISTS (SELECT 1 FROM {s}.conversations c WHERE c.id = i.conversation_id)
            AND (i.type = 'system' OR EXISTS (SELECT 1 FROM {s}.members mb
                                              WHERE mb.conversation_id = i.conversation_id AND mb.user_id = i.sender_id))
        ),
        totals AS (
          SELECT conversation_id, count(*) AS cnt, (array_agg(id ORDER BY ord DESC))[1] AS last_id,
                 (array_agg(created_at ORDER BY ord DESC))[1] AS last_at
          FROM numbered GROUP BY conversation_id
        ),
        bumped AS (
          UPDATE {s}.conversations c
          SET last_seq = c.last_seq + t.cnt, version = c.version + t.cnt, last_message_id = t.last_id, updated_at = t.last_at
          FROM totals t WHERE c.id = t.conversation_id
          RETURNING c.id, c.last_seq - t.cnt AS base_seq, c.version - t.cnt AS base_version
        ),
        inserted AS (
          INSERT INTO {s}.messages (id, conversation_id, seq, sender_id, type, content, reply_to_id, attachments, metadata,
                                    client_message_id, created_at, version)
          SELECT n.id, n.conversation_id, b.base_seq + n.n, n.sender_id, n.type, n.content, n.reply_to_id, n.attachments,
                 n.metadata, n.client_message_id, n.created_at, b.base_version + n.n
          FROM numbered n JOIN bumped b ON b.id = n.conversation_id
          RETURNING id, seq, version
        ),
        claimed AS (
          UPDATE {s}.attachments t SET message_id = n.id
          FROM numbered n JOIN uploads u ON u.ord = n.ord
          WHERE t.id = u.attachment_id AND EXISTS (SELECT 1 FROM inserted x WHERE x.id = n.id)
        ),
        outboxed AS (
          INSERT INTO {s}.outbox (kind, message_id, conversation_id, next_attempt_at, created_at)
          SELECT 'message', n.id, n.conversation_id, n.created_at, n.created_at FROM numbered n
          WHERE n.notify AND EXISTS (SELECT 1 FROM inserted x WHERE x.id = n.id)
        )
        SELECT i.ord,
               CASE WHEN x.id IS NOT NULL THEN 'created' WHEN s.id IS NOT NULL THEN 'duplicate'
                    WHEN EXISTS (SELECT 1 FROM unusable y WHERE y.ord = i.ord) THEN 'refused_attachment' ELSE 'refused' END,
               COALESCE(x.id, s.id), COALESCE(x.seq, s.seq), COALESCE(x.version, s.version)
        FROM input i
        LEFT JOIN inserted x ON x.id = i.id
        LEFT JOIN stored s ON s.ord = i.ord
        ORDER BY i.ord;
      END
      $fn$;
    `,
  },
  {
    version: 3,
    name: 'moderation',
    sql: `
      ALTER TABLE {s}.conversations ADD COLUMN slow_mode_seconds integer NOT NULL DEFAULT 0;
      -- Muted by a moderator: reads, cannot send until then.
      ALTER TABLE {s}.members ADD COLUMN silenced_until timestamptz;
      CREATE TABLE {s}.bans (
        conversation_id text COLLATE "C" NOT NULL REFERENCES {s}.conversations (id) ON DELETE CASCADE,
        user_id         text COLLATE "C" NOT NULL,
        banned_by       text COLLATE "C" NOT NULL,
        reason          text,
        created_at      timestamptz NOT NULL,
        expires_at      timestamptz,
        PRIMARY KEY (conversation_id, user_id)
      );
      CREATE TABLE {s}.blocks (
        user_id    text COLLATE "C" NOT NULL,
        blocked_id text COLLATE "C" NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, blocked_id)
      );
      CREATE TABLE {s}.reports (
        id              text COLLATE "C" PRIMARY KEY,
        conversation_id text COLLATE "C" NOT NULL REFERENCES {s}.conversations (id) ON DELETE CASCADE,
        message_id      text COLLATE "C" NOT NULL,
        reporter_id     text COLLATE "C" NOT NULL,
        reason          text NOT NULL,
        note            text,
        status          text NOT NULL CHECK (status IN ('open', 'resolved')),
        created_at      timestamptz NOT NULL,
        resolved_by     text COLLATE "C",
        resolved_at     timestamptz,
        resolution      text,
        UNIQUE (message_id, reporter_id)
      );
      CREATE INDEX reports_queue ON {s}.reports (status, created_at, id);
      CREATE INDEX reports_by_conversation ON {s}.reports (conversation_id, status, created_at, id);
      CREATE TABLE {s}.audit_log (
        id              text COLLATE "C" PRIMARY KEY,
        conversation_id text COLLATE "C" NOT NULL REFERENCES {s}.conversations (id) ON DELETE CASCADE,
        actor_id        text COLLATE "C" NOT NULL,
        action          text NOT NULL,
        target_user_id  text COLLATE "C",
        message_id      text COLLATE "C",
        data            jsonb,
        created_at      timestamptz NOT NULL
      );
      CREATE INDEX audit_by_conversation ON {s}.audit_log (conversation_id, created_at, id);

      -- insert_messages, now also refusing members a moderator silenced.
      CREATE OR REPLACE FUNCTION {s}.insert_messages(
        p_id text[], p_conversation_id text[], p_sender_id text[], p_type text[], p_content text[],
        p_reply_to_id text[], p_attachments jsonb[], p_metadata jsonb[], p_client_message_id text[],
        p_created_at timestamptz[], p_notify boolean[]
      ) RETURNS TABLE (r_ord integer, r_status text, r_id text, r_seq bigint, r_version bigint)
      LANGUAGE plpgsql AS $fn$
      BEGIN
        PERFORM 1 FROM {s}.conversations c WHERE c.id = ANY (p_conversation_id) ORDER BY c.id FOR UPDATE;
        -- Then the uploaded attachments the batch names, so that a concurrent send or purge
        -- waits and the checks below see its outcome.
        PERFORM 1 FROM {s}.attachments t
        WHERE t.id IN (SELECT a.v->>'id' FROM unnest(p_attachments) AS arr(list), jsonb_array_elements(arr.list) AS a(v) WHERE a.v ? 'id')
        ORDER BY t.id FOR UPDATE;
        RETURN QUERY
        WITH input AS (
          SELECT u.*, u.o::integer AS ord
          FROM unnest(p_id, p_conversation_id, p_sender_id, p_type, p_content, p_reply_to_id, p_attachments, p_metadata,
                      p_client_message_id, p_created_at, p_notify)
            WITH ORDINALITY AS u(id, conversation_id, sender_id, type, content, reply_to_id, attachments, metadata,
                                 client_message_id, created_at, notify, o)
        ),
        stored AS (
          SELECT i.ord, m.id, m.seq, m.version FROM input i
          JOIN {s}.messages m ON m.conversation_id = i.conversation_id AND m.sender_id = i.sender_id
                              AND m.client_message_id = i.client_message_id
        ),
        uploads AS (
          SELECT i.ord, a.v->>'id' AS attachment_id FROM input i, jsonb_array_elements(i.attachments) AS a(v) WHERE a.v ? 'id'
        ),
        -- A message may claim its uploads when each is claimable (adapter-kit claimCondition)
        -- and no earlier message of the batch names it: one snapshot cannot see that claim.
        unusable AS (
          SELECT DISTINCT u.ord FROM uploads u JOIN input i ON i.ord = u.ord
          WHERE NOT EXISTS (SELECT 1 FROM {s}.attachments t WHERE t.id = u.attachment_id
                              AND t.status = 'complete' AND t.uploader_id = i.sender_id
                              AND t.conversation_id = i.conversation_id AND t.message_id IS NULL)
             OR EXISTS (SELECT 1 FROM uploads e WHERE e.attachment_id = u.attachment_id AND e.ord < u.ord)
        ),
        numbered AS (
          SELECT i.*, row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.ord) AS n FROM input i
          WHERE NOT EXISTS (SELECT 1 FROM stored s WHERE s.ord = i.ord)
            AND NOT EXISTS (SELECT 1 FROM unusable x WHERE x.ord = i.ord)
            AND EXISTS (SELECT 1 FROM {s}.conversations c WHERE c.id = i.conversation_id)
            AND (i.type = 'system' OR EXISTS (SELECT 1 FROM {s}.members mb
                                              WHERE mb.conversation_id = i.conversation_id AND mb.user_id = i.sender_id
                                                AND (mb.silenced_until IS NULL OR mb.silenced_until <= i.created_at)))
        ),
        totals AS (
          SELECT conversation_id, count(*) AS cnt, (array_agg(id ORDER BY ord DESC))[1] AS last_id,
                 (array_agg(created_at ORDER BY ord DESC))[1] AS last_at
          FROM numbered GROUP BY conversation_id
        ),
        bumped AS (
          UPDATE {s}.conversations c
          SET last_seq = c.last_seq + t.cnt, version = c.version + t.cnt, last_message_id = t.last_id, updated_at = t.last_at
          FROM totals t WHERE c.id = t.conversation_id
          RETURNING c.id, c.last_seq - t.cnt AS base_seq, c.version - t.cnt AS base_version
        ),
        inserted AS (
          INSERT INTO {s}.messages (id, conversation_id, seq, sender_id, type, content, reply_to_id, attachments, metadata,
                                    client_message_id, created_at, version)
          SELECT n.id, n.conversation_id, b.base_seq + n.n, n.sender_id, n.type, n.content, n.reply_to_id, n.attachments,
                 n.metadata, n.client_message_id, n.created_at, b.base_version + n.n
          FROM numbered n JOIN bumped b ON b.id = n.conversation_id
          RETURNING id, seq, version
        ),
        claimed AS (
          UPDATE {s}.attachments t SET message_id = n.id
          FROM numbered n JOIN uploads u ON u.ord = n.ord
          WHERE t.id = u.attachment_id AND EXISTS (SELECT 1 FROM inserted x WHERE x.id = n.id)
        ),
        outboxed AS (
          INSERT INTO {s}.outbox (kind, message_id, conversation_id, next_attempt_at, created_at)
          SELECT 'message', n.id, n.conversation_id, n.created_at, n.created_at FROM numbered n
          WHERE n.notify AND EXISTS (SELECT 1 FROM inserted x WHERE x.id = n.id)
        )
        SELECT i.ord,
               CASE WHEN x.id IS NOT NULL THEN 'created' WHEN s.id IS NOT NULL THEN 'duplicate'
                    WHEN EXISTS (SELECT 1 FROM unusable y WHERE y.ord = i.ord) THEN 'refused_attachment' ELSE 'refused' END,
               COALESCE(x.id, s.id), COALESCE(x.seq, s.seq), COALESCE(x.version, s.version)
        FROM input i
        LEFT JOIN inserted x ON x.id = i.id
        LEFT JOIN stored s ON s.ord = i.ord
        ORDER BY i.ord;
      END
      $fn$;
    `,
  },
  {
    version: 4,
    name: 'threads and mentions',
    sql: `
      -- A thread reply names its root; it shares the conversation's seq and version counters.
      -- A root carries its summary, moved by each reply's insert in the same statement.
      ALTER TABLE {s}.messages
        ADD COLUMN thread_id            text COLLATE "C",
        ADD COLUMN also_to_conversation boolean NOT NULL DEFAULT false,
        ADD COLUMN reply_count          integer NOT NULL DEFAULT 0,
        ADD COLUMN last_reply_at        timestamptz,
        ADD COLUMN thread_participants  text[],
        ADD COLUMN mentions             text[],
        ADD COLUMN mention_everyone     boolean NOT NULL DEFAULT false;
      -- A thread pages by seq from this index alone, however long it is.
      CREATE INDEX messages_by_thread ON {s}.messages (thread_id, seq) WHERE thread_id IS NOT NULL;
      -- The timeline pages past a long thread's replies without reading them.
      CREATE INDEX messages_timeline ON {s}.messages (conversation_id, seq) WHERE thread_id IS NULL OR also_to_conversation;
      -- Who follows a thread and how far they read it.
      CREATE TABLE {s}.thread_reads (
        thread_id       text COLLATE "C" NOT NULL REFERENCES {s}.messages (id) ON DELETE CASCADE,
        user_id         text COLLATE "C" NOT NULL,
        conversation_id text COLLATE "C" NOT NULL REFERENCES {s}.conversations (id) ON DELETE CASCADE,
        last_read_seq   bigint NOT NULL,
        last_read_at    timestamptz,
        PRIMARY KEY (thread_id, user_id)
      );
      CREATE INDEX thread_reads_by_user ON {s}.thread_reads (user_id, conversation_id);

      -- insert_messages, now also storing threads and mentions: a reply moves its root's
      -- summary and version and its sender's thread read position in the same statement, and
      -- only a message of the timeline becomes the conversation's last message. Everything
      -- version 3 did stays: idempotency, attachment claims, membership and silence checks,
      -- seq and version allocation, outbox rows.
      DROP FUNCTION {s}.insert_messages(text[], text[], text[], text[], text[], text[], jsonb[], jsonb[], text[], timestamptz[], boolean[]);
      CREATE FUNCTION {s}.insert_messages(
        p_id text[], p_conversation_id text[], p_sender_id text[], p_type text[], p_content text[],
        p_reply_to_id text[], p_attachments jsonb[], p_metadata jsonb[], p_client_message_id text[],
        p_created_at timestamptz[], p_notify boolean[], p_thread_id text[], p_also boolean[], p_mentions jsonb[],
        p_mention_everyone boolean[]
      ) RETURNS TABLE (r_ord integer, r_status text, r_id text, r_seq bigint, r_version bigint,
                       r_reply_count integer, r_last_reply_at timestamptz, r_participants text[])
      LANGUAGE plpgsql AS $fn$
      BEGIN
        -- Thread roots first: edits, deletes and reactions lock a message before its
        -- conversation, so taking them in the same order here cannot deadlock with them.
        PERFORM 1 FROM {s}.messages r WHERE r.id = ANY (p_thread_id) ORDER BY r.id FOR UPDATE;
        PERFORM 1 FROM {s}.conversations c WHERE c.id = ANY (p_conversation_id) ORDER BY c.id FOR UPDATE;
        -- Then the uploaded attachments the batch names, so that a concurrent send or purge
        -- waits and the checks below see its outcome.
        PERFORM 1 FROM {s}.attachments t
        WHERE t.id IN (SELECT a.v->>'id' FROM unnest(p_attachments) AS arr(list), jsonb_array_elements(arr.list) AS a(v) WHERE a.v ? 'id')
        ORDER BY t.id FOR UPDATE;
        RETURN QUERY
        WITH input AS (
          SELECT u.*, u.o::integer AS ord
          FROM unnest(p_id, p_conversation_id, p_sender_id, p_type, p_content, p_reply_to_id, p_attachments, p_metadata,
                      p_client_message_id, p_created_at, p_notify, p_thread_id, p_also, p_mentions, p_mention_everyone)
            WITH ORDINALITY AS u(id, conversation_id, sender_id, type, content, reply_to_id, attachments, metadata,
                                 client_message_id, created_at, notify, thread_id, also, mentions, mention_everyone, o)
        ),
        stored AS (
          SELECT i.ord, m.id, m.seq, m.version FROM input i
          JOIN {s}.messages m ON m.conversation_id = i.conversation_id AND m.sender_id = i.sender_id
                              AND m.client_message_id = i.client_message_id
        ),
        uploads AS (
          SELECT i.ord, a.v->>'id' AS attachment_id FROM input i, jsonb_array_elements(i.attachments) AS a(v) WHERE a.v ? 'id'
        ),
        -- A message may claim its uploads when each is claimable (adapter-kit claimCondition)
        -- and no earlier message of the batch names it: one snapshot cannot see that claim.
        unusable AS (
          SELECT DISTINCT u.ord FROM uploads u JOIN input i ON i.ord = u.ord
          WHERE NOT EXISTS (SELECT 1 FROM {s}.attachments t WHERE t.id = u.attachment_id
                              AND t.status = 'complete' AND t.uploader_id = i.sender_id
                              AND t.conversation_id = i.conversation_id AND t.message_id IS NULL)
             OR EXISTS (SELECT 1 FROM uploads e WHERE e.attachment_id = u.attachment_id AND e.ord < u.ord)
        ),
        numbered AS (
          SELECT i.*, row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.ord) AS n,
                 (i.thread_id IS NULL OR COALESCE(i.also, false)) AS in_timeline
          FROM input i
          WHERE NOT EXISTS (SELECT 1 FROM stored s WHERE s.ord = i.ord)
            AND NOT EXISTS (SELECT 1 FROM unusable x WHERE x.ord = i.ord)
            AND EXISTS (SELECT 1 FROM {s}.conversations c WHERE c.id = i.conversation_id)
            AND (i.type = 'system' OR EXISTS (SELECT 1 FROM {s}.members mb
                                              WHERE mb.conversation_id = i.conversation_id AND mb.user_id = i.sender_id
                                                AND (mb.silenced_until IS NULL OR mb.silenced_until <= i.created_at)))
        ),
        totals AS (
          SELECT conversation_id, count(*) AS cnt,
                 (array_agg(id ORDER BY ord DESC) FILTER (WHERE in_timeline))[1] AS last_id,
                 (array_agg(created_at ORDER BY ord DESC) FILTER (WHERE in_timeline))[1] AS last_at
          FROM numbered GROUP BY conversation_id
        ),
        bumped AS (
          UPDATE {s}.conversations c
          SET last_seq = c.last_seq + t.cnt, version = c.version + t.cnt,
              last_message_id = COALESCE(t.last_id, c.last_message_id), updated_at = COALESCE(t.last_at, c.updated_at)
          FROM totals t WHERE c.id = t.conversation_id
          RETURNING c.id, c.last_seq - t.cnt AS base_seq, c.version - t.cnt AS base_version
        ),
        placed AS (
          SELECT n.*, b.base_seq + n.n AS seq, b.base_version + n.n AS version
          FROM numbered n JOIN bumped b ON b.id = n.conversation_id
        ),
        inserted AS (
          INSERT INTO {s}.messages (id, conversation_id, seq, sender_id, type, content, reply_to_id, attachments, metadata,
                                    client_message_id, created_at, version, thread_id, also_to_conversation, mentions, mention_everyone)
          SELECT p.id, p.conversation_id, p.seq, p.sender_id, p.type, p.content, p.reply_to_id, p.attachments,
                 p.metadata, p.client_message_id, p.created_at, p.version, p.thread_id,
                 p.thread_id IS NOT NULL AND COALESCE(p.also, false),
                 CASE WHEN p.mentions IS NULL OR jsonb_array_length(p.mentions) = 0 THEN NULL
                      ELSE ARRAY(SELECT jsonb_array_elements_text(p.mentions)) END,
                 COALESCE(p.mention_everyone, false)
          FROM placed p
          RETURNING id, seq, version
        ),
        replies AS (
          SELECT p.thread_id, count(*)::integer AS cnt, max(p.created_at) AS last_at, max(p.version) AS version
          FROM placed p WHERE p.thread_id IS NOT NULL GROUP BY p.thread_id
        ),
        repliers AS (
          SELECT p.thread_id, p.sender_id, min(p.ord) AS first_ord, max(p.seq) AS seq, max(p.created_at) AS at
          FROM placed p WHERE p.thread_id IS NOT NULL GROUP BY p.thread_id, p.sender_id
        ),
        rooted AS (
          UPDATE {s}.messages r
          SET reply_count = r.reply_count + x.cnt,
              last_reply_at = GREATEST(r.last_reply_at, x.last_at),
              version = GREATEST(r.version, x.version),
              thread_participants = COALESCE(r.thread_participants, '{}'::text[]) || ARRAY(
                SELECT rp.sender_id FROM repliers rp
                WHERE rp.thread_id = r.id AND NOT (rp.sender_id = ANY (COALESCE(r.thread_participants, '{}'::text[])))
                ORDER BY rp.first_ord)
          FROM replies x WHERE r.id = x.thread_id
          RETURNING r.id, r.reply_count, r.last_reply_at, r.thread_participants, r.sender_id, r.seq, r.type, r.conversation_id
        ),
        followed AS (
          INSERT INTO {s}.thread_reads (thread_id, user_id, conversation_id, last_read_seq, last_read_at)
          SELECT f.thread_id, f.user_id, f.conversation_id, max(f.seq), max(f.at) FROM (
            SELECT rp.thread_id, rp.sender_id AS user_id, ro.conversation_id, rp.seq, rp.at
            FROM repliers rp JOIN rooted ro ON ro.id = rp.thread_id
            UNION ALL
            SELECT ro.id, ro.sender_id, ro.conversation_id, ro.seq, NULL::timestamptz FROM rooted ro WHERE ro.type <> 'system'
          ) f GROUP BY f.thread_id, f.user_id, f.conversation_id
          ON CONFLICT (thread_id, user_id) DO UPDATE SET last_read_seq = excluded.last_read_seq, last_read_at = excluded.last_read_at
            WHERE excluded.last_read_seq > {s}.thread_reads.last_read_seq
        ),
        claimed AS (
          UPDATE {s}.attachments t SET message_id = n.id
          FROM numbered n JOIN uploads u ON u.ord = n.ord
          WHERE t.id = u.attachment_id AND EXISTS (SELECT 1 FROM inserted x WHERE x.id = n.id)
        ),
        outboxed AS (
          INSERT INTO {s}.outbox (kind, message_id, conversation_id, next_attempt_at, created_at)
          SELECT 'message', n.id, n.conversation_id, n.created_at, n.created_at FROM numbered n
          WHERE n.notify AND EXISTS (SELECT 1 FROM inserted x WHERE x.id = n.id)
        )
        SELECT i.ord,
               CASE WHEN x.id IS NOT NULL THEN 'created' WHEN s.id IS NOT NULL THEN 'duplicate'
                    WHEN EXISTS (SELECT 1 FROM unusable y WHERE y.ord = i.ord) THEN 'refused_attachment' ELSE 'refused' END,
               COALESCE(x.id, s.id), COALESCE(x.seq, s.seq), COALESCE(x.version, s.version),
               ro.reply_count, ro.last_reply_at, ro.thread_participants
        FROM input i
        LEFT JOIN inserted x ON x.id = i.id
        LEFT JOIN stored s ON s.ord = i.ord
        LEFT JOIN rooted ro ON ro.id = i.thread_id AND x.id IS NOT NULL
        ORDER BY i.ord;
      END
      $fn$;
    `,
  },
  {
    version: 5,
    name: 'pins and edit history',
    sql: `
      -- One pin per message; a conversation's pins are counted and listed through the index.
      CREATE TABLE {s}.pins (
        message_id      text COLLATE "C" PRIMARY KEY REFERENCES {s}.messages (id) ON DELETE CASCADE,
        conversation_id text COLLATE "C" NOT NULL REFERENCES {s}.conversations (id) ON DELETE CASCADE,
        pinned_by       text COLLATE "C" NOT NULL,
        pinned_at       timestamptz NOT NULL,
        expires_at      timestamptz
      );
      CREATE INDEX pins_by_conversation ON {s}.pins (conversation_id, pinned_at, message_id);
      -- A message's earlier texts; id orders them as the edits were stored.
      CREATE TABLE {s}.message_edits (
        id          bigserial PRIMARY KEY,
        message_id  text COLLATE "C" NOT NULL REFERENCES {s}.messages (id) ON DELETE CASCADE,
        content     text,
        created_at  timestamptz NOT NULL,
        replaced_at timestamptz NOT NULL
      );
      CREATE INDEX message_edits_by_message ON {s}.message_edits (message_id, id);
    `,
  },
  {
    version: 6,
    name: 'retention, and a user\'s data export and erase',
    sql: `
      -- A conversation's own retention in seconds (NULL: the global one), and how far
      -- retention has removed its timeline (every seq up to this one is gone).
      ALTER TABLE {s}.conversations ADD COLUMN retention_seconds integer;
      ALTER TABLE {s}.conversations ADD COLUMN purged_through_seq bigint NOT NULL DEFAULT 0;
      -- Periodic jobs that one node at a time runs (retention).
      CREATE TABLE {s}.job_leases (
        job         text COLLATE "C" PRIMARY KEY,
        holder      text COLLATE "C" NOT NULL,
        lease_until timestamptz NOT NULL
      );
      -- A user's messages and reactions, for their export and erase.
      CREATE INDEX messages_by_sender ON {s}.messages (sender_id, created_at, id);
      CREATE INDEX reactions_by_user ON {s}.reactions (user_id, message_id, emoji);
      -- Outbox rows and files of the messages retention or an erase removes.
      CREATE INDEX outbox_by_message ON {s}.outbox (message_id);
      CREATE INDEX attachments_by_uploader ON {s}.attachments (uploader_id);
    `,
  },
  {
    version: 7,
    name: 'webhook deliveries',
    sql: `
      -- One row per webhook event and endpoint, written in the transaction of the change that
      -- raised the event. No foreign key: a delivery outlives its conversation (its deletion
      -- is an event too). The body is kept as sent, so retries send the same bytes.
      CREATE TABLE {s}.webhook_deliveries (
        id              text PRIMARY KEY,
        event_id        text NOT NULL,
        endpoint_id     text NOT NULL,
        event_type      text NOT NULL,
        conversation_id text,
        body            text NOT NULL,
        status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        last_error      text,
        created_at      timestamptz NOT NULL,
        delivered_at    timestamptz,
        UNIQUE (event_id, endpoint_id)
      );
      CREATE INDEX webhook_deliveries_due ON {s}.webhook_deliveries (status, next_attempt_at, id);
      CREATE INDEX webhook_deliveries_listed ON {s}.webhook_deliveries (status, created_at, id);
      CREATE INDEX webhook_deliveries_created ON {s}.webhook_deliveries (created_at, id);
    `,
  },
  {
    version: 8,
    name: 'no global activity index on conversations',
    sql: `
      -- No query needs it: a user's list starts from their memberships (members_by_user) and
      -- sorts those. It was rewritten on every send (updated_at changes), and with it gone the
      -- send's conversation update touches no indexed column, so Postgres updates in place (HOT).
      DROP INDEX IF EXISTS {s}.conversations_by_activity;
    `,
  },
  {
    version: 9,
    name: 'an index of changed messages only',
    sql: `
      -- Catch-up's changes are the messages whose version moved after their insert (an edit,
      -- a delete, a reaction, a thread reply on a root): only those need an index by version,
      -- so an insert no longer pays for one. The rows already here count as changed (nobody
      -- knows which were); new rows default to unchanged, so insert_messages stays as it is.
      -- Whatever moves a message's version marks it (the trigger), so no write path can forget.
      ALTER TABLE {s}.messages ADD COLUMN changed boolean NOT NULL DEFAULT true;
      ALTER TABLE {s}.messages ALTER COLUMN changed SET DEFAULT false;
      CREATE INDEX messages_changed ON {s}.messages (conversation_id, version) WHERE changed;
      DROP INDEX IF EXISTS {s}.messages_by_version;
      CREATE FUNCTION {s}.mark_message_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        NEW.changed := true;
        RETURN NEW;
      END
      $fn$;
      CREATE TRIGGER messages_version_moved BEFORE UPDATE OF version ON {s}.messages
        FOR EACH ROW WHEN (NEW.version IS DISTINCT FROM OLD.version AND NOT OLD.changed)
        EXECUTE FUNCTION {s}.mark_message_changed();
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** A Postgres identifier, quoted: a schema name is never spliced in raw. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Brings `schema` up to date. Runs under a transaction-scoped advisory lock keyed by the
 * schema, so several nodes starting at once apply each migration exactly once: the others
 * wait, then find nothing left to do. Refuses a schema written by a newer Parley.
 */
export async function migrate(pool: Pool, schema: string): Promise<number> {
  const s = quoteIdent(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('parley.migrate'), hashtext($1))`, [schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_migrations`);
    const applied = new Set(rows.map((r) => r.version));
    const current = Math.max(0, ...applied);
    if (current > LATEST_VERSION) {
      throw new Error(`Schema ${schema} has version ${current}, newer than this Parley (${LATEST_VERSION}); upgrade @parley/adapter-postgres`);
    }
    // Every migration not recorded, not only those above the last: numbers were handed out to
    // branches that merged out of order, so a schema may have 7 and not 5.
    const pending = MIGRATIONS.filter((m) => !applied.has(m.version));
    if (pending.length > 0) {
      // Extensions are per database, not per schema: one store creates it at a time.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('parley.extensions'))`);
      const unaccent = await ensureUnaccent(client);
      for (const migration of pending) {
        await client.query(migration.sql.replaceAll('{s}', s).replaceAll('{unaccent}', unaccent));
        await client.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      }
    }
    await client.query('COMMIT');
    return LATEST_VERSION;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The schema unaccent lives in (installing it when missing), quoted. */
async function ensureUnaccent(client: { query: Pool['query'] }): Promise<string> {
  const find = async () =>
    (
      await client.query<{ schema: string }>(
        `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'`,
      )
    ).rows[0]?.schema;
  let schema = await find();
  if (schema === undefined) {
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS unaccent');
    } catch (error) {
      throw new Error(
        `Parley's search needs the unaccent extension: run "CREATE EXTENSION unaccent" as a database owner (${error instanceof Error ? error.message : String(error)})`,
        { cause: error },
      );
    }
    schema = await find();
  }
  return quoteIdent(schema!);
}
