import type { BrokerEnvelope, BrokerTarget } from '../adapters/broker.js';
import type { MembershipCache } from '../services/membership-cache.js';
import type { Logger } from '../util/logger.js';
import type { LocalSocket, SocketLike, SocketRegistry } from './socket-registry.js';
import { VersionOrder } from './version-order.js';

/**
 * Puts envelopes — this node's own and the other nodes' — on this node's sockets: each
 * matching socket gets one copy, serialized once; conversation changes in version order;
 * a conversation's members from the membership cache, later deliveries to that conversation
 * waiting behind one that must load them first, so the order holds.
 */
export class LocalDelivery {
  private readonly versionOrder: VersionOrder | null;
  private readonly memberQueues = new Map<string, Promise<void>>();

  constructor(
    private readonly registry: SocketRegistry,
    private readonly membership: MembershipCache,
    private readonly logger: Logger,
    eventOrder: { gapMs: number } | false,
    private readonly onSent: (event: string, sockets: number) => void,
  ) {
    this.versionOrder = eventOrder === false ? null : new VersionOrder(eventOrder.gapMs, (envelope) => this.dispatch(envelope));
  }

  deliver(envelope: BrokerEnvelope): void {
    if (this.versionOrder !== null) this.versionOrder.accept(envelope);
    else this.dispatch(envelope);
  }

  close(): void {
    this.versionOrder?.close();
  }

  private dispatch(envelope: BrokerEnvelope): void {
    const { target } = envelope;
    if (target.kind !== 'members') return this.sendTo(envelope, this.localSockets(target));
    const queued = this.memberQueues.get(target.conversationId);
    const cached = queued === undefined ? this.membership.peek(target.conversationId) : undefined;
    if (cached !== undefined) return this.sendTo(envelope, this.userSockets(cached));
    const next = (queued ?? Promise.resolve()).then(async () => {
      const ids = await this.membership.memberIds(target.conversationId).catch((error: unknown) => {
        this.logger.warn('could not load members for delivery', { conversationId: target.conversationId, error: String(error) });
        return [];
      });
      this.sendTo(envelope, this.userSockets(ids));
    });
    this.memberQueues.set(target.conversationId, next);
    void next.finally(() => {
      if (this.memberQueues.get(target.conversationId) === next) this.memberQueues.delete(target.conversationId);
    });
  }

  private localSockets(target: Exclude<BrokerTarget, { kind: 'members' }>): Set<LocalSocket> {
    if (target.kind === 'users') return this.userSockets(target.userIds);
    const sockets = new Set<LocalSocket>();
    if (target.kind === 'room') {
      for (const entry of this.registry.roomSockets(target.conversationId)) sockets.add(entry);
    } else if (target.kind === 'sockets') {
      for (const id of target.socketIds) {
        const entry = this.registry.get(id);
        if (entry !== undefined) sockets.add(entry);
      }
    }
    return sockets;
  }

  private userSockets(userIds: Iterable<string>): Set<LocalSocket> {
    const sockets = new Set<LocalSocket>();
    for (const userId of userIds) for (const entry of this.registry.userSockets(userId)) sockets.add(entry);
    return sockets;
  }

  /** One serialized frame to each socket, exactly once, but the one excepted. */
  private sendTo(envelope: BrokerEnvelope, sockets: Set<LocalSocket>): void {
    const except = 'exceptSocketId' in envelope.target ? envelope.target.exceptSocketId : undefined;
    // Most envelopes from other nodes have no recipient here: serialize only when one does.
    let frame: string | undefined;
    let count = 0;
    for (const entry of sockets) {
      if (entry.id === except) continue;
      frame ??= JSON.stringify({ type: envelope.event, data: envelope.data });
      sendRaw(entry.socket, frame);
      count += 1;
    }
    if (count > 0) this.onSent(envelope.event, count);
  }
}

/** A socket that fails to send is on its way out; its close handler cleans up. */
export function sendRaw(socket: SocketLike, frame: string): void {
  try {
    socket.send(frame);
  } catch {
    // ignored: the transport reports the close
  }
}
