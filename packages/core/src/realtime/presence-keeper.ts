import type { PresenceStore } from '../adapters/presence-store.js';
import type { Logger } from '../util/logger.js';
import type { LocalSocket, SocketRegistry } from './socket-registry.js';

/**
 * Keeps this node's sockets counted in the shared presence store, and falls back to its own
 * sockets when the store is unreachable (SPEC §6): the first heartbeat that works again
 * rebuilds this node's entries, no restart needed. Each heartbeat also sweeps crashed nodes,
 * so their users go offline for everyone within `nodeTtlMs` plus one heartbeat.
 */
export class PresenceKeeper {
  /** Presence missed changes while unreachable; rebuilt by the next heartbeat that works. */
  private stale = false;

  constructor(
    private readonly presence: PresenceStore,
    private readonly registry: SocketRegistry,
    private readonly nodeId: string,
    private readonly nodeTtlMs: number,
    private readonly logger: Logger,
    /** Announces a user coming online (first socket anywhere) or going offline (last). */
    private readonly announce: (userId: string, online: boolean) => Promise<void>,
  ) {}

  /** After the socket joined the registry: announces the user when it is their first socket anywhere. */
  async added(entry: LocalSocket): Promise<void> {
    const first = await this.ask(
      async () => (await this.presence.addSocket(entry.userId, entry.id, this.nodeId)).firstSocket,
      () => this.registry.socketCount(entry.userId) === 1,
    );
    if (first) await this.announce(entry.userId, true);
  }

  /** After the socket left the registry: announces the user when it was their last socket anywhere. */
  async removed(entry: LocalSocket): Promise<void> {
    const last = await this.ask(
      async () => (await this.presence.removeSocket(entry.userId, entry.id)).lastSocket,
      () => this.registry.socketCount(entry.userId) === 0,
    );
    if (last) await this.announce(entry.userId, false);
  }

  /**
   * Asks the presence store, or — while it is known to be down, since every call would wait
   * for its timeout — answers from this node's own sockets; the next heartbeat that works puts
   * them all back.
   */
  private async ask<T>(call: () => Promise<T>, local: () => T): Promise<T> {
    if (this.stale) return local();
    try {
      return await call();
    } catch (error) {
      this.stale = true;
      this.logger.warn('presence unavailable; counting local sockets', { error: String(error) });
      return local();
    }
  }

  async beat(): Promise<void> {
    try {
      await this.presence.heartbeat(this.nodeId, this.nodeTtlMs);
    } catch (error) {
      this.stale = true;
      this.logger.warn('presence heartbeat failed', { error: String(error) });
      return;
    }
    if (this.stale) await this.rebuild();
    await this.sweepDeadNodes();
  }

  /** This node is leaving: its entries go at once. */
  async leave(): Promise<void> {
    await this.presence.removeNode(this.nodeId).catch(() => undefined);
  }

  private async rebuild(): Promise<void> {
    try {
      await this.presence.removeNode(this.nodeId);
      for (const entry of [...this.registry.all()]) await this.presence.addSocket(entry.userId, entry.id, this.nodeId);
      this.stale = false;
      this.logger.info('presence rebuilt after an outage', { sockets: this.registry.size });
    } catch (error) {
      this.logger.warn('presence rebuild failed; will retry', { error: String(error) });
    }
  }

  /** A crashed node's users go offline for everyone: whichever node sweeps it first announces them. */
  private async sweepDeadNodes(): Promise<void> {
    try {
      const orphaned = await this.presence.removeDeadNodes();
      for (const userId of orphaned) if (this.registry.socketCount(userId) === 0) await this.announce(userId, false);
    } catch (error) {
      this.logger.warn('could not sweep dead nodes', { error: String(error) });
    }
  }
}
