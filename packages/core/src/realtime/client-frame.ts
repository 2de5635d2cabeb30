import { validate } from '../domain/validate.js';
import { clientFrameSchema, type ClientFrame } from './protocol.js';

/**
 * The envelope `{ type, id?, data? }` of a client frame. Almost every frame is well formed, so
 * it is checked by hand first — exactly the rules of `clientFrameSchema` — and zod runs only on
 * a frame that fails them, to name what is wrong the way every other error does.
 */
export function readClientFrame(parsed: unknown): ClientFrame {
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const { type, id, data } = parsed as Record<string, unknown>;
    const idOk = id === undefined || (typeof id === 'string' && id.length <= 128) || (typeof id === 'number' && Number.isFinite(id));
    if (typeof type === 'string' && type.length >= 1 && type.length <= 64 && idOk) {
      const frame: ClientFrame = { type };
      if (id !== undefined) frame.id = id as string | number;
      if (data !== undefined) frame.data = data;
      return frame;
    }
  }
  return validate(clientFrameSchema, parsed, 'frame');
}
