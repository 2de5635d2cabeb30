import type { ChatStore } from '../adapters/chat-store.js';
import type { PresenceStore } from '../adapters/presence-store.js';
import type { ChatLimits } from '../domain/limits.js';
import type { Schemas } from '../domain/schemas.js';
import type { Logger } from '../util/logger.js';
import type { Capabilities } from '../domain/capabilities.js';
import type { HookRunner } from '../extensions/hooks.js';
import type { ChatEvents } from './chat-events.js';
import type { MembershipCache } from './membership-cache.js';
import type { RateLimits } from './rate-limits.js';
import type { SendBatcher } from './send-batcher.js';
import type { WebhookWriter } from '../webhooks/webhook-writer.js';

/** A user profile as the host knows it, for member lists and system messages. */
export interface UserProfile {
  id: string;
  name: string;
  avatar?: string;
}

/** Host hook: profiles of the given ids; ids it does not know are left out. */
export type ResolveUsers = (userIds: string[]) => Promise<UserProfile[]>;

/** What both services share. Built once by `createChatServices`. */
export interface ServiceContext {
  store: ChatStore;
  presence: PresenceStore;
  events: ChatEvents;
  membership: MembershipCache;
  batcher: SendBatcher;
  /** What each role may do: the one place permissions are looked up. */
  capabilities: Capabilities;
  /** The host's before-hooks. */
  hooks: HookRunner;
  /** Per-user limits, shared across nodes when the rate limiter is. */
  rateLimits: RateLimits;
  schemas: Schemas;
  limits: ChatLimits;
  logger: Logger;
  now: () => number;
  resolveUsers: ResolveUsers | undefined;
  /** True when a notifier is configured: sends then write outbox rows. */
  notifications: boolean;
  /** Builds the webhook delivery rows that store writes take (none when no endpoint is configured). */
  webhooks: WebhookWriter;
  /** Called after a send wrote an outbox row. */
  onNotificationQueued: () => void;
  /** Called when uploaded files lost their message (deleted for everyone, conversation deleted). */
  onFilesReleased: () => void;
  /** How long the per-user conversation-id cache lives (SPEC §6: 5 minutes). */
  conversationCacheTtlMs: number;
}

export function nowIso(ctx: Pick<ServiceContext, 'now'>): string {
  return new Date(ctx.now()).toISOString();
}
