import type { ConversationDecision, ConversationPlan, ConversationState, NewConversation, NewWebhookDelivery, WebhookWrite } from '../adapters/chat-store.js';
import { MUTED_FOREVER } from '../domain/limits.js';
import type { Message, Report } from '../domain/types.js';
import { newId } from '../util/ids.js';
import type { WebhookEventData, WebhookEventType } from './webhook-events.js';
import type { WebhookEndpoint } from './webhook-options.js';

/**
 * Turns the services' changes into webhook delivery rows: one event id per event, one row per
 * endpoint subscribed to its type, handed to the store so they are written in the change's own
 * transaction (a send, an edit, a membership change…). With no endpoints it hands nothing, and
 * the stores write nothing. Every builder here is synchronous and pure, as the store contract asks.
 */
export class WebhookWriter {
  constructor(
    private readonly endpoints: readonly WebhookEndpoint[],
    private readonly now: () => number,
  ) {}

  get enabled(): boolean {
    return this.endpoints.length > 0;
  }

  /** The rows of one event: one per endpoint that takes its type (none when nobody does). */
  event<T extends WebhookEventType>(type: T, data: WebhookEventData<T>, conversationId: string | null): NewWebhookDelivery[] {
    const targets = this.endpoints.filter((e) => e.events === null || e.events.has(type));
    if (targets.length === 0) return [];
    const eventId = newId();
    const createdAt = new Date(this.now()).toISOString();
    const body = JSON.stringify({ id: eventId, type, createdAt, data });
    return targets.map((endpoint) => ({ id: newId(), eventId, endpointId: endpoint.id, eventType: type, conversationId, body, createdAt }));
  }

  /** `message.sent` / `message.edited`, built from the message as stored. */
  message(type: 'message.sent' | 'message.edited'): WebhookWrite<Message> | undefined {
    if (!this.enabled) return undefined;
    return (message) => this.event(type, { message }, message.conversationId);
  }

  messageDeleted(deletedBy: string): WebhookWrite<Message> | undefined {
    if (!this.enabled) return undefined;
    return (m) =>
      this.event('message.deleted', { conversationId: m.conversationId, messageId: m.id, senderId: m.senderId, deletedBy, deletedAt: m.deletedAt ?? new Date(this.now()).toISOString() }, m.conversationId);
  }

  conversationCreated(input: Omit<NewConversation, 'webhooks'>): NewWebhookDelivery[] | undefined {
    if (!this.enabled) return undefined;
    const { id, type, name, createdBy, createdAt } = input;
    return this.event('conversation.created', { conversation: { id, type, name, createdBy, createdAt }, members: input.members.map(({ userId, role }) => ({ userId, role })) }, id);
  }

  reportCreated(report: Report): NewWebhookDelivery[] | undefined {
    return this.enabled ? this.event('report.created', { report }, report.conversationId) : undefined;
  }

  reportsResolved(): WebhookWrite<Report[]> | undefined {
    if (!this.enabled) return undefined;
    return (reports) => this.event('report.resolved', { reports }, reports[0]?.conversationId ?? null);
  }

  /**
   * Wraps a conversation decision so that its plan also carries the webhook rows of what it
   * does, read off the plan against the state it was decided on: who was added, removed (left,
   * removed or banned), promoted, banned, muted, what was renamed, whether the group ended.
   * So every decision, present and future, reports its events without knowing of webhooks.
   */
  conversationChange<T>(actor: string, decide: ConversationDecision<T>): ConversationDecision<T> {
    if (!this.enabled) return decide;
    return (state) => {
      const decided = decide(state);
      if (state === null) return decided;
      const webhooks = this.planEvents(actor, state, decided.plan);
      return webhooks.length === 0 ? decided : { ...decided, plan: { ...decided.plan, webhooks: [...(decided.plan.webhooks ?? []), ...webhooks] } };
    };
  }

  private planEvents(actor: string, state: ConversationState, plan: ConversationPlan): NewWebhookDelivery[] {
    const conversationId = state.conversation.id;
    const rows: NewWebhookDelivery[] = [];
    const members = new Map(state.members.map((m) => [m.userId, m]));
    const banned = new Set((plan.ban ?? []).map((b) => b.userId));
    const removed = (plan.remove ?? []).filter((id) => members.has(id));
    const leaving = plan.delete === true ? [actor].filter((id) => members.has(id)) : removed;
    for (const userId of leaving) {
      const reason = banned.has(userId) ? 'banned' : userId === actor ? 'left' : 'removed';
      rows.push(...this.event('member.removed', { conversationId, userId, removedBy: actor, reason }, conversationId));
    }
    if (plan.delete === true) return [...rows, ...this.event('conversation.deleted', { conversationId, deletedBy: actor }, conversationId)];
    const added = (plan.add ?? []).filter((seed) => !members.has(seed.userId)).map(({ userId, role }) => ({ userId, role }));
    if (added.length > 0) rows.push(...this.event('member.added', { conversationId, members: added, addedBy: actor }, conversationId));
    for (const { userId, role } of plan.roles ?? []) {
      const before = members.get(userId);
      if (before !== undefined && before.role !== role && !removed.includes(userId)) {
        rows.push(...this.event('member.role_changed', { conversationId, userId, role, previousRole: before.role, changedBy: actor }, conversationId));
      }
    }
    if (plan.profile !== undefined && Object.keys(plan.profile).length > 0) {
      rows.push(...this.event('conversation.updated', { conversationId, changes: { ...plan.profile }, updatedBy: actor }, conversationId));
    }
    for (const ban of plan.ban ?? []) {
      rows.push(...this.event('member.banned', { conversationId, userId: ban.userId, bannedBy: ban.bannedBy, reason: ban.reason, expiresAt: ban.expiresAt }, conversationId));
    }
    const inForce = new Set(state.bans.map((b) => b.userId));
    for (const userId of (plan.unban ?? []).filter((id) => inForce.has(id))) {
      rows.push(...this.event('member.unbanned', { conversationId, userId, unbannedBy: actor }, conversationId));
    }
    for (const { userId, until } of plan.silence ?? []) {
      rows.push(
        ...(until === null
          ? this.event('member.unsilenced', { conversationId, userId, unsilencedBy: actor }, conversationId)
          : this.event('member.silenced', { conversationId, userId, silencedBy: actor, until: until === MUTED_FOREVER ? null : until }, conversationId)),
      );
    }
    return rows;
  }
}
