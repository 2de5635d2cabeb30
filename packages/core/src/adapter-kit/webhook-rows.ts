import type { WebhookDelivery } from '../adapters/chat-store.js';

/** The webhook_deliveries columns, as both SQL stores name and read them. */
export const WEBHOOK_DELIVERY_COLUMNS = 'id, event_id, endpoint_id, event_type, conversation_id, body, status, attempts, next_attempt_at, last_error, created_at, delivered_at';

export interface WebhookDeliveryRow {
  id: string;
  event_id: string;
  endpoint_id: string;
  event_type: string;
  conversation_id: string | null;
  body: string;
  status: WebhookDelivery['status'];
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export const webhookDeliveryFromRow = (r: WebhookDeliveryRow): WebhookDelivery => ({
  id: r.id,
  eventId: r.event_id,
  endpointId: r.endpoint_id,
  eventType: r.event_type,
  conversationId: r.conversation_id,
  body: r.body,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
});
