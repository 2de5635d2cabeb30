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
}

export type BrokerTarget =
  | { kind: 'users'; userIds: string[]; exceptSocketId?: string }
  | { kind: 'room'; conversationId: string; exceptSocketId?: string }
  | { kind: 'sockets'; socketIds: string[] }
  | { kind: 'nodes' };

export interface Broker {
  publish(envelope: BrokerEnvelope): Promise<void>;
  /** Returns a function that stops this subscription. */
  subscribe(handler: (envelope: BrokerEnvelope) => void): Promise<() => Promise<void>>;
  healthCheck(): Promise<boolean>;
  close?(): Promise<void>;
}
