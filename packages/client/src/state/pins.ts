import type { Message, Pin } from '@parley/core/protocol';
import type { ParleyState } from './types.js';

/**
 * Pure updates of the pins held per conversation. A conversation's list is held only once it was
 * loaded (`loadPins`): live events then keep it whole; before that they are ignored, so a list is
 * never shown half-known.
 */

const newestFirst = (a: Pin, b: Pin) =>
  a.pinnedAt < b.pinnedAt ? 1 : a.pinnedAt > b.pinnedAt ? -1 : a.messageId < b.messageId ? 1 : a.messageId > b.messageId ? -1 : 0;

const inForce = (pin: Pin, now: string) => pin.expiresAt === null || pin.expiresAt > now;

function withList(state: ParleyState, conversationId: string, change: (pins: readonly Pin[]) => readonly Pin[]): ParleyState {
  const held = state.pins[conversationId];
  if (held === undefined) return state;
  const next = change(held);
  return next === held ? state : { ...state, pins: { ...state.pins, [conversationId]: next } };
}

/** A list as the server answered it (`list_pins`): replaces what was held. */
export function withPinList(state: ParleyState, conversationId: string, pins: readonly Pin[], now: string): ParleyState {
  return { ...state, pins: { ...state.pins, [conversationId]: pins.filter((p) => inForce(p, now)).sort(newestFirst) } };
}

/** `message_pinned` or a `pin_message` reply: adds the pin, or replaces the message's earlier one. */
export function withPin(state: ParleyState, pin: Pin, now: string): ParleyState {
  if (!inForce(pin, now)) return withoutPin(state, pin.conversationId, pin.messageId);
  return withList(state, pin.conversationId, (pins) => {
    const same = pins.find((p) => p.messageId === pin.messageId);
    // The same pin again (the reply, then the broadcast): nothing changes.
    if (same !== undefined && same.pinnedAt === pin.pinnedAt && same.pinnedBy === pin.pinnedBy && same.expiresAt === pin.expiresAt) return pins;
    return [...pins.filter((p) => p.messageId !== pin.messageId), pin].sort(newestFirst);
  });
}

/** `message_unpinned`, an unpin reply, or a delete for everyone. */
export function withoutPin(state: ParleyState, conversationId: string, messageId: string): ParleyState {
  return withList(state, conversationId, (pins) => (pins.some((p) => p.messageId === messageId) ? pins.filter((p) => p.messageId !== messageId) : pins));
}

/** A pinned message changed (edited, reacted to): the pin shows it as it is now. */
export function withPinnedMessage(state: ParleyState, message: Message): ParleyState {
  return withList(state, message.conversationId, (pins) => {
    const pin = pins.find((p) => p.messageId === message.id);
    if (pin === undefined || pin.message.version > message.version) return pins;
    return pins.map((p) => (p === pin ? { ...p, message } : p));
  });
}

/** Drops the pins whose expiry passed (the server announces none). */
export function withoutExpiredPins(state: ParleyState, now: string): ParleyState {
  let next = state;
  for (const [conversationId, pins] of Object.entries(state.pins)) {
    if (pins.every((p) => inForce(p, now))) continue;
    next = { ...next, pins: { ...next.pins, [conversationId]: pins.filter((p) => inForce(p, now)) } };
  }
  return next;
}

/** Forgets a conversation's pins (left it, or it ended). */
export function withoutPins(state: ParleyState, conversationId: string): ParleyState {
  if (state.pins[conversationId] === undefined) return state;
  const { [conversationId]: _gone, ...rest } = state.pins;
  return { ...state, pins: rest };
}

/** The next moment a held pin expires (epoch ms), or null. */
export function nextPinExpiry(state: ParleyState): number | null {
  let next: number | null = null;
  for (const pins of Object.values(state.pins)) {
    for (const pin of pins) {
      if (pin.expiresAt === null) continue;
      const at = Date.parse(pin.expiresAt);
      if (next === null || at < next) next = at;
    }
  }
  return next;
}

/** `message_reaction_updated` on a pinned message. */
export function withPinnedReactions(state: ParleyState, data: { conversationId: string; messageId: string; reactions: Message['reactions']; version: number }): ParleyState {
  return withList(state, data.conversationId, (pins) => {
    const pin = pins.find((p) => p.messageId === data.messageId);
    if (pin === undefined || pin.message.version >= data.version) return pins;
    return pins.map((p) => (p === pin ? { ...p, message: { ...p.message, reactions: data.reactions, version: data.version } } : p));
  });
}
