/**
 * Where a reader stands in the stream, and whether what it has not read yet is still there.
 *
 * Redis 7 does not record trimmed entries in `max-deleted-entry-id` (only XDEL does), so
 * trimming is detected by counting: `entries-added` numbers every entry ever added, and the
 * stream holds the last `length` of them. A reader that has read up to entry number
 * `counted` lost entries exactly when more than `counted` entries are gone from the head.
 */
export interface StreamPosition {
  /** The id of the last entry read (`0-0` before any). */
  lastId: string;
  /** How many entries the stream had ever been given up to and including `lastId`. */
  counted: number;
  /** The highest XDEL'd id already reported, so one deletion is reported once. */
  deletedSeen: string;
}

/** The stream's counters and the next entries, read in one atomic step (see READ in stream-reader.ts). */
export interface StreamSnapshot {
  /** `entries-added`: every entry ever added to this stream. */
  added: number;
  length: number;
  maxDeletedId: string;
  lastGeneratedId: string;
  /** The entry `lastId` is still in the stream. */
  lastHeld: boolean;
  entries: Array<[id: string, fields: string[]]>;
}

export type Verdict =
  | { kind: 'in-step' }
  /** The stream is not the one the reader read: deleted, or lost with a Redis restart. */
  | { kind: 'reset' }
  /** Entries after `lastId` were trimmed before the reader got them. */
  | { kind: 'trimmed' }
  /** Someone XDEL'd an entry after `lastId`. */
  | { kind: 'deleted' };

/** Compares two stream ids (`ms-seq`) numerically. */
export function compareIds(a: string, b: string): number {
  const [aMs, aSeq] = splitId(a);
  const [bMs, bSeq] = splitId(b);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}

function splitId(id: string): [bigint, bigint] {
  const dash = id.indexOf('-');
  return dash === -1 ? [BigInt(id), 0n] : [BigInt(id.slice(0, dash)), BigInt(id.slice(dash + 1))];
}

export function assess(position: StreamPosition, snapshot: StreamSnapshot): Verdict {
  const goneFromHead = snapshot.added - snapshot.length;
  if (snapshot.added < position.counted) return { kind: 'reset' };
  // The reader's last entry must still be there unless trimmed or XDEL'd: if it is not, the
  // stream was recreated (and has grown past the reader's count since).
  const lastShouldBeHeld = position.lastId !== '0-0' && position.counted > goneFromHead;
  if (lastShouldBeHeld && !snapshot.lastHeld && compareIds(snapshot.maxDeletedId, position.lastId) < 0) return { kind: 'reset' };
  if (goneFromHead > position.counted) return { kind: 'trimmed' };
  if (compareIds(snapshot.maxDeletedId, position.lastId) > 0 && compareIds(snapshot.maxDeletedId, position.deletedSeen) > 0) {
    return { kind: 'deleted' };
  }
  return { kind: 'in-step' };
}
