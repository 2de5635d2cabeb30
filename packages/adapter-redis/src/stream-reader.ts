import type { BrokerEnvelope, Logger } from '@parley/core';
import type { Redis } from 'ioredis';
import { bounded, connectionName, watchConnection } from './connection.js';
import { LuaScript } from './lua-script.js';
import { assess, compareIds, type StreamPosition, type StreamSnapshot } from './stream-position.js';

/**
 * The stream's counters and up to ARGV[2] entries after ARGV[1], in one atomic step, so the
 * gap check and the read see the same stream. KEYS[1]: the stream.
 */
const READ = new LuaScript(
  'read',
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return { 0, 0, '0-0', '0-0', 0, {} } end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local f = {}
for i = 1, #info, 2 do f[info[i]] = info[i + 1] end
local held = 0
if ARGV[1] ~= '0-0' then held = #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) end
local entries = {}
if tonumber(ARGV[2]) > 0 then entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2]) end
return { f['entries-added'] or -1, f['length'], f['max-deleted-entry-id'] or '0-0', f['last-generated-id'], held, entries }
`,
);

/** Entries read per round trip while catching up. */
const BATCH = 500;

export interface StreamReaderOptions {
  /** The connection to duplicate: the reader gets one of its own, since XREAD BLOCK holds it. */
  source: Redis;
  key: string;
  prefix: string;
  blockMs: number;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  logger: Logger;
  handler: (envelope: BrokerEnvelope) => void;
  onGap: ((reason: string) => void) | undefined;
}

export interface StreamReader {
  /** False while the reader cannot reach Redis. */
  readonly connected: boolean;
  /** Stops reading and closes the reader's connection; resolves once the loop has ended. */
  stop(): Promise<void>;
}

let readers = 0;

/**
 * Starts a reader at the stream's current end: it delivers every entry added after this
 * resolves, in stream order, and nothing before. Rejects when Redis cannot be reached now.
 *
 * The reader blocks in XREAD only to learn that entries arrived; it then reads them with
 * READ, which also tells whether anything after its last id was lost. When its connection
 * drops it reconnects and reads on from its last id, so a short outage loses nothing; when
 * what it missed was trimmed meanwhile, it calls `onGap` once and goes on from the oldest
 * entry left.
 */
export async function startStreamReader(options: StreamReaderOptions): Promise<StreamReader> {
  const { key, logger } = options;
  readers += 1;
  const redis = options.source.duplicate({
    lazyConnect: true,
    // Calls fail at once while disconnected, and a dropped XREAD is not replayed by
    // ioredis: the loop below decides what to read after a reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: options.connectTimeoutMs,
    // A peer silent for longer than a blocked read can last is gone (a half-open socket).
    socketTimeout: options.blockMs + options.commandTimeoutMs,
    commandTimeout: undefined,
    blockingTimeout: undefined,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
    connectionName: connectionName(options.prefix, `reader-${process.pid}-${readers}`),
  });
  watchConnection(redis, logger, 'broker reader');

  const read = async (after: string, count: number): Promise<StreamSnapshot> =>
    parseSnapshot(await bounded(READ.run(redis, [key], [after, count]), options.commandTimeoutMs, 'the stream read'));

  let position: StreamPosition;
  try {
    await bounded(redis.connect(), options.connectTimeoutMs + options.commandTimeoutMs, 'connect');
    const start = await read('0-0', 0);
    position = { lastId: start.lastGeneratedId, counted: start.added, deletedSeen: start.maxDeletedId };
  } catch (error) {
    redis.disconnect();
    throw new Error(`redis broker.subscribe failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  let stopped = false;
  let failures = 0;
  let wake: (() => void) | null = null;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const gap = (reason: string) => {
    logger.warn('broker reader missed entries it cannot replay', { reason, lastId: position.lastId });
    try {
      options.onGap?.(reason);
    } catch (error) {
      logger.error('broker onGap handler failed', { error: String(error) });
    }
  };

  const deliver = (id: string, fields: string[]) => {
    let wire: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'e') wire = fields[i + 1];
    let envelope: BrokerEnvelope;
    try {
      envelope = JSON.parse(wire as string) as BrokerEnvelope;
    } catch {
      logger.error('broker skipped an entry that is not an envelope', { id });
      return;
    }
    try {
      options.handler(envelope);
    } catch (error) {
      logger.error('broker handler failed', { id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  };

  const loop = async () => {
    while (!stopped) {
      try {
        const snapshot = await read(position.lastId, BATCH);
        if (failures > 0) {
          logger.info('broker reader back; reading on from its last id', { lastId: position.lastId, afterFailures: failures });
          failures = 0;
        }
        const verdict = assess(position, snapshot);
        const goneFromHead = snapshot.added - snapshot.length;
        if (verdict.kind === 'reset') {
          gap('the stream was recreated (Redis restarted or the key was deleted): earlier envelopes are lost');
          position = { lastId: '0-0', counted: goneFromHead, deletedSeen: snapshot.maxDeletedId };
          continue;
        }
        if (verdict.kind === 'trimmed') {
          gap('envelopes this node had not read were trimmed from the stream (it was away longer than maxLen covers)');
          // The read starts at the oldest entry left: count from there. One report covers any XDEL too.
          position.counted = goneFromHead;
          if (compareIds(snapshot.maxDeletedId, position.deletedSeen) > 0) position.deletedSeen = snapshot.maxDeletedId;
        }
        if (verdict.kind === 'deleted') {
          gap('envelopes this node had not read were deleted from the stream (XDEL)');
          position.deletedSeen = snapshot.maxDeletedId;
        }
        for (const [id, fields] of snapshot.entries) {
          if (stopped) return;
          position.lastId = id;
          position.counted += 1;
          deliver(id, fields);
        }
        if (snapshot.entries.length === BATCH || stopped) continue;
        // Only a wake-up: whatever it returns is read again by READ, with the gap check.
        await redis.xread('COUNT', 1, 'BLOCK', options.blockMs, 'STREAMS', key, position.lastId);
      } catch (error) {
        if (stopped) return;
        failures += 1;
        if (failures === 1) logger.warn('broker reader lost Redis; will read on from its last id', { lastId: position.lastId, error: String(error) });
        await pause(Math.min(100 * 2 ** (failures - 1), 2_000));
      }
    }
  };
  const done = loop();

  return {
    get connected() {
      return failures === 0 && redis.status === 'ready';
    },
    async stop() {
      if (stopped) return done;
      stopped = true;
      wake?.();
      // Ends a blocked XREAD at once; the loop then sees `stopped`.
      redis.disconnect();
      return done;
    },
  };
}

function parseSnapshot(reply: unknown): StreamSnapshot {
  const [added, length, maxDeletedId, lastGeneratedId, held, entries] = reply as [number, number, string, string, number, Array<[string, string[]]>];
  if (added < 0) throw new Error('the stream has no entries-added counter: the Redis broker needs Redis 7.0 or newer');
  return { added, length, maxDeletedId, lastGeneratedId, lastHeld: held > 0, entries };
}
