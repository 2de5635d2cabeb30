import type { BrokerEnvelope } from '../adapters/broker.js';

interface ConversationQueue {
  /** The version expected next; null while the first changes heard of settle. */
  next: number | null;
  pending: Map<number, BrokerEnvelope>;
  timer: ReturnType<typeof setTimeout> | null;
  touched: number;
}

const IDLE_MS = 10 * 60_000;
const MAX_QUEUES = 20_000;

/**
 * Puts the events that change a conversation back in version order before they reach any
 * socket (SPEC §7: per conversation, every socket sees events in seq / version order). Every
 * change bumps the conversation's version by exactly one, and every node hears every change
 * (its own at once, the others' through the broker), so each node can hold an event that
 * arrives before its predecessor — two nodes writing one conversation at once, or a database
 * answering two transactions out of commit order — until the predecessor comes. A
 * predecessor that never comes (its node died before publishing) is given up after `gapMs`;
 * the hub's resync covers what was lost.
 *
 * The first change a node hears of in a conversation (or after it was idle for a while) says
 * nothing of what may still be on its way: it is held `settleMs`, so that changes made at the
 * same moment on other nodes line up behind the lowest.
 */
export class VersionOrder {
  private readonly queues = new Map<string, ConversationQueue>();

  constructor(
    private readonly gapMs: number,
    private readonly deliver: (envelope: BrokerEnvelope) => void,
    private readonly now: () => number = Date.now,
    private readonly settleMs = Math.min(gapMs, 100),
  ) {}

  accept(envelope: BrokerEnvelope): void {
    const order = envelope.order;
    if (order === undefined) return this.deliver(envelope);
    let queue = this.queues.get(order.conversationId);
    if (queue === undefined) {
      this.prune();
      queue = { next: null, pending: new Map(), timer: null, touched: 0 };
      this.queues.set(order.conversationId, queue);
      const settling = queue;
      settling.timer = setTimeout(() => {
        settling.timer = null;
        settling.next = Math.min(...settling.pending.keys());
        this.flush(settling);
      }, this.settleMs);
      settling.timer.unref?.();
    }
    queue.touched = this.now();
    if (queue.next !== null && order.version < queue.next) return this.deliver(envelope); // late, or a repeat: never held back
    queue.pending.set(order.version, envelope);
    if (queue.next !== null) this.flush(queue);
  }

  close(): void {
    for (const queue of this.queues.values()) if (queue.timer !== null) clearTimeout(queue.timer);
    this.queues.clear();
  }

  private flush(queue: ConversationQueue): void {
    if (queue.next === null) return;
    for (let envelope = queue.pending.get(queue.next); envelope !== undefined; envelope = queue.pending.get(queue.next)) {
      queue.pending.delete(queue.next);
      queue.next += 1;
      this.deliver(envelope);
    }
    if (queue.pending.size === 0) {
      if (queue.timer !== null) clearTimeout(queue.timer);
      queue.timer = null;
    } else if (queue.timer === null) {
      queue.timer = setTimeout(() => this.skipGap(queue), this.gapMs);
      queue.timer.unref?.();
    }
  }

  /** The missing version is not coming: go on from the lowest one held. */
  private skipGap(queue: ConversationQueue): void {
    queue.timer = null;
    if (queue.pending.size === 0) return;
    queue.next = Math.min(...queue.pending.keys());
    this.flush(queue);
  }

  private prune(): void {
    if (this.queues.size < MAX_QUEUES) return;
    const idleSince = this.now() - IDLE_MS;
    for (const [conversationId, queue] of this.queues) {
      if (queue.pending.size === 0 && queue.touched < idleSince) this.queues.delete(conversationId);
    }
  }
}
