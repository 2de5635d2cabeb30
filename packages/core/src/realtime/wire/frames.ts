import * as z from 'zod/mini';
import { serverEventSchemas, type ServerEvent, type ServerEventData } from './server-events.js';

/** Server → client envelope: `{ type, data, replyTo? }`. */
export const serverFrameSchema = z.object({
  type: z.string(),
  data: z.unknown(),
  replyTo: z.optional(z.union([z.string(), z.number()])),
});

export type ParsedServerFrame =
  | { [E in ServerEvent]: { known: true; type: E; data: ServerEventData[E]; replyTo?: string | number } }[ServerEvent]
  | { known: false; type: string; data: unknown; replyTo?: string | number };

export type ServerFrameResult = { ok: true; frame: ParsedServerFrame } | { ok: false; problem: string; type?: string };

/**
 * Parses one text frame from the server: the envelope, then the data of every event this
 * protocol knows. Events it does not know (a host's `notifyUser`) pass with `known: false`.
 */
export function parseServerFrame(text: string): ServerFrameResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  const envelope = serverFrameSchema.safeParse(raw);
  if (!envelope.success) return { ok: false, problem: `bad envelope: ${z.prettifyError(envelope.error)}` };
  const { type, data, replyTo } = envelope.data;
  const tail = replyTo === undefined ? {} : { replyTo };
  if (!Object.hasOwn(serverEventSchemas, type)) return { ok: true, frame: { known: false, type, data, ...tail } };
  const parsed = serverEventSchemas[type as ServerEvent].safeParse(data);
  if (!parsed.success) return { ok: false, type, problem: `${type}: ${z.prettifyError(parsed.error)}` };
  return { ok: true, frame: { known: true, type, data: parsed.data, ...tail } as ParsedServerFrame };
}
