import { ChatError, silentLogger, type Logger } from '@parley/core';
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';

/** What every factory of this package takes. */
export interface RedisConnectionOptions {
  /** An ioredis client the host owns; Parley never closes it. Exactly one of `client` and `url`. */
  client?: Redis;
  /** A `redis://` or `rediss://` URL; Parley then opens the connection and closes it on `close()`. */
  url?: string;
  /** Every key lives under it, so several apps (or test runs) share one Redis. Default `parley:`. */
  prefix?: string;
  /** Default: silent. */
  logger?: Logger;
  /**
   * A call that Redis has not answered by then rejects, so that the hub degrades instead of
   * waiting on a dead connection. Default 2 000 ms.
   */
  commandTimeoutMs?: number;
  /** How long opening a connection may take. Default 2 000 ms. */
  connectTimeoutMs?: number;
}

const isRedisClient = (value: unknown): value is Redis =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Redis).duplicate === 'function' &&
  typeof (value as Redis).evalsha === 'function' &&
  typeof (value as Redis).options === 'object';

const isLogger = (value: unknown): value is Logger =>
  typeof value === 'object' && value !== null && ['debug', 'info', 'warn', 'error'].every((level) => typeof (value as Record<string, unknown>)[level] === 'function');

const positiveMs = z.number().int().positive();

export const connectionOptionsShape = {
  client: z.custom<Redis>(isRedisClient, 'must be an ioredis client (`new Redis(url)`)').optional(),
  url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  prefix: z.string().min(1, 'must not be empty').default('parley:'),
  logger: z.custom<Logger>(isLogger, 'must have debug, info, warn and error functions').optional(),
  commandTimeoutMs: positiveMs.default(2_000),
  connectTimeoutMs: positiveMs.default(2_000),
};

/**
 * Parses a factory's options with one error listing every bad path, as every Parley entry
 * point does. `shape` adds the factory's own options to the connection ones.
 */
export function parseOptions<S extends z.ZodRawShape>(factory: string, shape: S, options: unknown) {
  const parsed = z.object({ ...connectionOptionsShape, ...shape }).safeParse(options ?? {});
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  const raw = (options ?? {}) as RedisConnectionOptions;
  if ((raw.client === undefined) === (raw.url === undefined)) {
    problems.push('client: pass exactly one of `client` (a connection you own) or `url`');
  }
  // Scripts build key names from `prefix`; a client-side keyPrefix would split keys in two.
  if (isRedisClient(raw.client) && (raw.client.options.keyPrefix ?? '') !== '') {
    problems.push('client: must not set ioredis `keyPrefix`; use the `prefix` option instead');
  }
  if (!parsed.success || problems.length > 0) {
    throw new ChatError('VALIDATION_FAILED', `Invalid ${factory} options — ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Rejects when `promise` has not settled within `ms`; a late answer is ignored. */
export function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Connection names may not hold spaces; Redis refuses CLIENT SETNAME otherwise. */
export function connectionName(prefix: string, role: string): string {
  return `${prefix}${role}`.replace(/[^\w:.\-]/g, '_');
}

/**
 * Logs a connection's outage once when it starts and once when it ends, instead of every
 * reconnect attempt's error.
 */
export function watchConnection(client: Redis, logger: Logger, what: string): void {
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(`redis ${what} connection lost; retrying`, { error: error.message });
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info(`redis ${what} connection back`);
  });
}

/** A factory's command connection: the host's client, or one opened from `url` and owned. */
export interface RedisConnection {
  readonly client: Redis;
  readonly prefix: string;
  readonly logger: Logger;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Runs one Redis call, bounded by `commandTimeoutMs`; a failure names `what`. */
  call<T>(what: string, fn: (client: Redis) => Promise<T>): Promise<T>;
  /** PING, false on an error or no answer within `timeoutMs`. */
  ping(timeoutMs: number): Promise<boolean>;
  /** Quits the connection when it was opened here; a host's client is left alone. */
  close(): Promise<void>;
}

type ParsedConnectionOptions = z.infer<z.ZodObject<typeof connectionOptionsShape>>;

export function openConnection(options: ParsedConnectionOptions, role: string): RedisConnection {
  const logger = options.logger ?? silentLogger;
  const owned = options.client === undefined;
  const client =
    options.client ??
    new Redis(options.url as string, {
      connectTimeout: options.connectTimeoutMs,
      // Fail queued calls after one reconnect attempt instead of twenty: the hub falls back.
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      connectionName: connectionName(options.prefix, role),
    } satisfies RedisOptions);
  if (owned) watchConnection(client, logger, role);
  let closed = false;

  return {
    client,
    prefix: options.prefix,
    logger,
    commandTimeoutMs: options.commandTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    async call(what, fn) {
      try {
        return await bounded(fn(client), options.commandTimeoutMs, what);
      } catch (error) {
        throw new Error(`redis ${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    },
    async ping(timeoutMs) {
      try {
        return (await bounded(client.ping(), timeoutMs, 'PING')) === 'PONG';
      } catch (error) {
        // The answer the contract asks for; the reason still goes to the log.
        logger.debug(`redis ${role} health check failed`, { error: String(error) });
        return false;
      }
    },
    async close() {
      if (!owned || closed) return;
      closed = true;
      await bounded(client.quit(), options.commandTimeoutMs, 'QUIT').catch(() => undefined);
      client.disconnect();
    },
  };
}
