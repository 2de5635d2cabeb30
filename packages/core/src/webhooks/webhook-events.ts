import * as z from 'zod/mini';
import { memberRoleSchema, messageSchema, reportSchema } from '../realtime/wire/domain.js';

/**
 * What Parley tells webhook endpoints, one schema per event type. Every request body is an
 * envelope `{ id, type, createdAt, data }`: `id` names the event (the same for every endpoint),
 * `data` has the type's shape below. Hosts and receivers parse bodies with `webhookEventSchema`
 * (`verifyWebhook` does it for them). Documented in docs/webhooks.md.
 */
const iso = z.string();
const memberSeed = z.object({ userId: z.string(), role: memberRoleSchema });

export const WEBHOOK_EVENT_DATA = {
  /** A group or direct conversation was created, with its first members. */
  'conversation.created': z.object({
    conversation: z.object({ id: z.string(), type: z.enum(['direct', 'group']), name: z.nullable(z.string()), createdBy: z.string(), createdAt: iso }),
    members: z.array(memberSeed),
  }),
  /** Name, description, avatar or slow mode changed; `changes` holds the new values. */
  'conversation.updated': z.object({
    conversationId: z.string(),
    changes: z.object({
      name: z.optional(z.string()),
      description: z.optional(z.nullable(z.string())),
      avatarUrl: z.optional(z.nullable(z.string())),
      slowModeSeconds: z.optional(z.int()),
    }),
    updatedBy: z.string(),
  }),
  /** The group ended: its last member left. */
  'conversation.deleted': z.object({ conversationId: z.string(), deletedBy: z.string() }),
  /** A message was stored (`system` messages such as "X added Y" included). */
  'message.sent': z.object({ message: messageSchema }),
  /** A message's content was edited; `message` is as it stands after the edit. */
  'message.edited': z.object({ message: messageSchema }),
  /** A message was deleted for everyone (deleting for oneself is private and not reported). */
  'message.deleted': z.object({ conversationId: z.string(), messageId: z.string(), senderId: z.string(), deletedBy: z.string(), deletedAt: iso }),
  /** Members were added (or joined); each with the role they got. */
  'member.added': z.object({ conversationId: z.string(), members: z.array(memberSeed), addedBy: z.string() }),
  /** A member left (`left`), was removed (`removed`) or was banned (`banned`). */
  'member.removed': z.object({ conversationId: z.string(), userId: z.string(), removedBy: z.string(), reason: z.enum(['left', 'removed', 'banned']) }),
  /** A member's role changed (ownership transfers report both members). */
  'member.role_changed': z.object({ conversationId: z.string(), userId: z.string(), role: memberRoleSchema, previousRole: memberRoleSchema, changedBy: z.string() }),
  'member.banned': z.object({ conversationId: z.string(), userId: z.string(), bannedBy: z.string(), reason: z.nullable(z.string()), expiresAt: z.nullable(iso) }),
  'member.unbanned': z.object({ conversationId: z.string(), userId: z.string(), unbannedBy: z.string() }),
  /** A moderator muted a member (`until` null: until lifted). */
  'member.silenced': z.object({ conversationId: z.string(), userId: z.string(), silencedBy: z.string(), until: z.nullable(iso) }),
  'member.unsilenced': z.object({ conversationId: z.string(), userId: z.string(), unsilencedBy: z.string() }),
  /** A member reported a message into the review queue. */
  'report.created': z.object({ report: reportSchema }),
  /** A moderator resolved reports (one, or all of a message's); each as it stands after. */
  'report.resolved': z.object({ reports: z.array(reportSchema) }),
} as const;

export type WebhookEventType = keyof typeof WEBHOOK_EVENT_DATA;
export const WEBHOOK_EVENT_TYPES = Object.keys(WEBHOOK_EVENT_DATA) as WebhookEventType[];

/** The data of one event type. */
export type WebhookEventData<T extends WebhookEventType> = z.infer<(typeof WEBHOOK_EVENT_DATA)[T]>;

/** One event as a receiver gets it, discriminated by `type`. */
export type WebhookEvent = { [T in WebhookEventType]: { id: string; type: T; createdAt: string; data: WebhookEventData<T> } }[WebhookEventType];

const envelope = <T extends WebhookEventType>(type: T) =>
  z.object({ id: z.string(), type: z.literal(type), createdAt: iso, data: WEBHOOK_EVENT_DATA[type] });

/** Parses any request body Parley sends to a webhook endpoint. */
export const webhookEventSchema = z.discriminatedUnion(
  'type',
  WEBHOOK_EVENT_TYPES.map((type) => envelope(type)) as unknown as [ReturnType<typeof envelope<'message.sent'>>, ...Array<ReturnType<typeof envelope<WebhookEventType>>>],
) as unknown as z.ZodMiniType<WebhookEvent>;
