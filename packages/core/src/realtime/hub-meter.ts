import type { ErrorCode } from '../domain/errors.js';

/**
 * What a hub counts on every frame, called directly: a host's metrics (Prometheus in
 * @parley/transport-http) keep up without an event object and an emitter dispatch per frame.
 * The hub's `frame_*` events still fire, for listeners that want them. Register with
 * `hub.addMeter(meter)`.
 */
export interface HubMeter {
  frameIn(type: string): void;
  /** `sockets` copies of one frame were sent. */
  frameOut(type: string, sockets: number): void;
  frameError(type: string, code: ErrorCode): void;
  /** A client frame was answered after `durationMs`; `code` when the answer was an error. */
  frameHandled(type: string, durationMs: number, code?: ErrorCode): void;
}
