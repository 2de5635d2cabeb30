/** Every limit of SPEC §6, all configurable; the defaults are the spec's. */
export interface ChatLimits {
  maxContentLength: number;
  maxAttachments: number;
  maxAttachmentBytes: number;
  maxPageSize: number;
  maxDistinctReactions: number;
  maxEmojiLength: number;
  maxGroupMembers: number;
  /** A message's `metadata`, as JSON: at most this many bytes (UTF-8)… */
  maxMetadataBytes: number;
  /** …and nested at most this deep (an object or array is one level). */
  maxMetadataDepth: number;
  /** Users one message may mention by name. */
  maxMentions: number;
  /** Pins in force per conversation; pinning one more is refused with CONFLICT. */
  maxPinsPerConversation: number;
  /** Messages per user per window, enforced by MessageService (REST and WebSocket alike). */
  messageRate: { limit: number; windowMs: number };
}

export const DEFAULT_LIMITS: ChatLimits = {
  maxContentLength: 10_000,
  maxAttachments: 10,
  maxAttachmentBytes: 100 * 1024 * 1024,
  maxPageSize: 100,
  maxDistinctReactions: 50,
  maxEmojiLength: 32,
  maxGroupMembers: 1_000,
  maxMetadataBytes: 16 * 1024,
  maxMetadataDepth: 8,
  maxMentions: 50,
  maxPinsPerConversation: 50,
  messageRate: { limit: 20, windowMs: 10_000 },
};

export function resolveLimits(overrides: Partial<ChatLimits> = {}): ChatLimits {
  return { ...DEFAULT_LIMITS, ...overrides, messageRate: { ...DEFAULT_LIMITS.messageRate, ...overrides.messageRate } };
}

/** "Muted with no end": a date no clock reaches, so `mutedUntil > now` stays one comparison. */
export const MUTED_FOREVER = '9999-12-31T23:59:59.999Z';
