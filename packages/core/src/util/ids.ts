/**
 * Time-ordered random ids (UUID version 7, RFC 9562): 48 bits of milliseconds, then random
 * bits. New rows land at the end of every index keyed by id instead of at random pages, which
 * keeps inserts fast in SQLite and Postgres alike. `globalThis.crypto` keeps core free of
 * node: imports.
 *
 * Within one process the ids are strictly increasing: the 12 bits after the version are a
 * counter (RFC 9562 §6.2, method 1), started at a random value below 2048 each millisecond and
 * stepped for each further id of the same millisecond. Rows ordered by (time, id), such as the
 * audit log, then keep the order they were written in even when two share a millisecond.
 */
let lastMs = -1;
let counter = 0;

export function newId(): string {
  const bytes = randomBytes16();
  let ms = Date.now();
  if (ms > lastMs) {
    lastMs = ms;
    counter = ((bytes[6]! << 8) | bytes[7]!) & 0x7ff;
  } else {
    counter += 1;
    // 4096 ids in one millisecond: borrow the next one rather than repeat a counter value.
    if (counter > 0xfff) {
      lastMs += 1;
      counter = 0;
    }
    ms = lastMs;
  }
  bytes[6] = counter >>> 8;
  bytes[7] = counter & 0xff;
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Random bytes come from a pool filled 4 KiB at a time: one system call per 256 ids, not per id. */
const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let offset = POOL_SIZE;

function randomBytes16(): Uint8Array {
  if (offset + 16 > POOL_SIZE) {
    globalThis.crypto.getRandomValues(pool);
    offset = 0;
  }
  const bytes = pool.slice(offset, offset + 16);
  offset += 16;
  return bytes;
}

/**
 * The unique key of a direct conversation: the pair, sorted, so (a, b) and (b, a) agree, and
 * JSON-encoded, so that no choice of ids can make two different pairs share a key.
 */
export function directKey(userA: string, userB: string): string {
  return JSON.stringify(userA < userB ? [userA, userB] : [userB, userA]);
}
