/**
 * Cross-node fan-out. Core owns the envelope (what, to whom, from which node); a broker only
 * carries it to every subscribed node, its own included, in publish order per publisher.
 * Receivers drop their own echoes by `origin`.
 */
export interface BrokerEnvelope {
  /** The nodeId of the publishing hub. */
  origin: string;
  /** Event name, e.g. `new_message` or an internal `presence:*` / `membership:*` event. */
  event: string;
  /** Where to deliver on each node. */
  target: BrokerTarget;
  data: unknown;
  /**
   * For events that change a conversation (a new message, an edit, a delete, a reaction):
   * the conversation's change counter after it. Every node delivers these in version order.
   */
  order?: { conversationId: string; version: number };
}

export type BrokerTarget =
  /** The current members of a conversation, as each node knows them: no member list on the wire. */
  | { kind: 'members'; conversationId: string; exceptSocketId?: string }
  | { kind: 'users'; userIds: string[]; exceptSocketId?: string }
  | { kind: 'room'; conversationId: string; exceptSocketId?: string }
  | { kind: 'sockets'; socketIds: string[] }
  | { kind: 'nodes' };

export interface BrokerSubscribeOptions {
  /**
   * Called when the broker knows it lost envelopes it cannot replay (it was disconnected
   * longer than it keeps them). The hub then tells its sockets to catch up. A broker that
   * replays what it missed after a short outage calls it only when replay falls short.
   */
  onGap?: (reason: string) => void;
}

export interface Broker {
  /** Rejects when the envelope could not be handed over; the hub then asks for a resync once it can. */
  publish(envelope: BrokerEnvelope): Promise<void>;
  /** Returns a function that stops this subscription. Rejects when the broker is unreachable (the hub retries). */
  subscribe(handler: (envelope: BrokerEnvelope) => void, options?: BrokerSubscribeOptions): Promise<() => Promise<void>>;
  healthCheck(): Promise<boolean>;
  close?(): Promise<void>;
}
