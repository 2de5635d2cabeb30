import type { Broker, BrokerEnvelope, BrokerTarget } from '../adapters/broker.js';
import type { Logger } from '../util/logger.js';

/**
 * Why sockets are told to catch up (`resync { reason }`):
 * - `broker_unavailable`: this node could not receive other nodes' events for a while;
 * - `broker_gap`: the broker says it lost events it cannot replay;
 * - `peer_publish_failed`: another node could not publish some of its events;
 * - `slow_consumer`: the client read too slowly and frames were held back from it.
 */
export type ResyncReason = 'broker_unavailable' | 'broker_gap' | 'peer_publish_failed' | 'slow_consumer';

/** Whom a resync concerns: everyone, or these users and these conversations' members. */
export type ResyncScope = { all: true } | { all?: false; userIds: string[]; conversationIds: string[] };

export interface ClusterHandlers {
  /** An envelope from another node (own echoes and internal resync requests are not passed on). */
  receive(envelope: BrokerEnvelope): void;
  /** Local sockets in `scope` must catch up. */
  resync(reason: ResyncReason, scope: ResyncScope): void;
}

/** Internal envelope: a node that failed to publish asks the others to resync whom it concerned. */
const HUB_RESYNC = 'hub:resync';
/** Past this many users and conversations missed, a publish gap resyncs everyone. */
const MAX_MISSED = 10_000;

/**
 * This node's link to the others through the broker. It subscribes in the background with
 * backoff (so a broker that is down at start never blocks or crashes the host), publishes
 * without ever failing its caller, and keeps account of what could not be published: once
 * the broker takes envelopes again, the other nodes are asked to resync the users concerned.
 */
export class ClusterLink {
  /** The subscription is live. */
  subscribed = false;
  private unsubscribe: (() => Promise<void>) | null = null;
  private missed: { all: boolean; userIds: Set<string>; conversationIds: Set<string> } | null = null;
  private closed = false;

  constructor(
    private readonly broker: Broker | undefined,
    private readonly nodeId: string,
    private readonly handlers: ClusterHandlers,
    private readonly logger: Logger,
    private readonly retry: { initialDelayMs: number; maxDelayMs: number },
  ) {}

  get enabled(): boolean {
    return this.broker !== undefined;
  }

  start(): void {
    if (this.broker !== undefined) void this.subscribe(this.broker);
  }

  /** Sends to the other nodes; a failure is remembered, never thrown. */
  publish(envelope: BrokerEnvelope): void {
    if (this.broker === undefined || this.closed) return;
    this.broker.publish(envelope).then(
      () => {
        if (this.missed !== null) this.requestPeerResync();
      },
      (error: unknown) => {
        this.logger.warn('broker publish failed; delivered on this node only', { event: envelope.event, error: String(error) });
        this.rememberMissed(envelope.target);
      },
    );
  }

  /** Retries an outstanding resync request (the hub calls it on every heartbeat). */
  retryMissed(): void {
    if (this.missed !== null) this.requestPeerResync();
  }

  async healthy(): Promise<boolean> {
    if (this.broker === undefined) return true;
    return this.subscribed && (await this.broker.healthCheck());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscribed = false;
    await this.unsubscribe?.().catch(() => undefined);
  }

  /**
   * Subscribes, retrying with backoff while the broker is unreachable. A node that could not
   * subscribe at once may have missed other nodes' events: once subscribed, its sockets are
   * told to catch up.
   */
  private async subscribe(broker: Broker): Promise<void> {
    let delay = this.retry.initialDelayMs;
    let failed = false;
    while (!this.closed) {
      try {
        const unsubscribe = await broker.subscribe((envelope) => this.onEnvelope(envelope), {
          onGap: () => this.handlers.resync('broker_gap', { all: true }),
        });
        if (this.closed) {
          await unsubscribe().catch(() => undefined);
          return;
        }
        this.unsubscribe = unsubscribe;
        this.subscribed = true;
        if (failed) {
          this.logger.info('broker subscription established after failures');
          this.handlers.resync('broker_unavailable', { all: true });
        }
        return;
      } catch (error) {
        failed = true;
        this.logger.warn('broker subscription failed; serving this node only, retrying', { retryInMs: delay, error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, delay * (0.8 + Math.random() * 0.4)).unref?.());
        delay = Math.min(delay * 2, this.retry.maxDelayMs);
      }
    }
  }

  private onEnvelope(envelope: BrokerEnvelope): void {
    if (envelope.origin === this.nodeId) return;
    if (envelope.event !== HUB_RESYNC) return this.handlers.receive(envelope);
    const { all, userIds = [], conversationIds = [] } = envelope.data as { all?: boolean; userIds?: string[]; conversationIds?: string[] };
    this.handlers.resync('peer_publish_failed', all === true ? { all: true } : { userIds, conversationIds });
  }

  private rememberMissed(target: BrokerTarget): void {
    if (target.kind === 'room' || target.kind === 'sockets') return; // ephemeral: typing, join notices
    this.missed ??= { all: false, userIds: new Set(), conversationIds: new Set() };
    if (target.kind === 'nodes') this.missed.all = true; // e.g. a membership change other nodes' caches did not hear of
    else if (target.kind === 'members') this.missed.conversationIds.add(target.conversationId);
    else for (const id of target.userIds) this.missed.userIds.add(id);
    if (this.missed.userIds.size + this.missed.conversationIds.size > MAX_MISSED) this.missed.all = true;
  }

  private requestPeerResync(): void {
    const missed = this.missed;
    if (missed === null || this.broker === undefined) return;
    this.missed = null;
    const data = missed.all ? { all: true } : { userIds: [...missed.userIds], conversationIds: [...missed.conversationIds] };
    this.broker.publish({ origin: this.nodeId, event: HUB_RESYNC, target: { kind: 'nodes' }, data }).catch(() => {
      // Still failing: keep the debt for the next successful publish or heartbeat.
      if (missed.all) this.rememberMissed({ kind: 'nodes' });
      for (const userId of missed.userIds) this.rememberMissed({ kind: 'users', userIds: [userId] });
      for (const conversationId of missed.conversationIds) this.rememberMissed({ kind: 'members', conversationId });
    });
  }
}
