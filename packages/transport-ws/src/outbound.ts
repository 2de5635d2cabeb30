import { CloseCode, type SocketLike } from '@parley/core';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { TurnCork } from './turn-cork.js';

export interface OutboundOptions {
  /** Unsent bytes a socket may hold; past it, frames are held back. */
  maxBufferedBytes: number;
  /** How long a socket may stay past the limit before it is closed (4408). */
  graceMs: number;
  /** Told when a socket that fell behind caught up: frames were held back meanwhile. */
  onRecovered: (send: (frame: string) => void) => void;
  /** The connection's TCP stream and the cork that batches its writes per event-loop turn. */
  stream?: Duplex;
  cork?: TurnCork;
}

/**
 * The hub's view of one `ws` socket, with backpressure: a client that reads too slowly is not
 * allowed to pile up the server's memory. Past `maxBufferedBytes` nothing more is queued for
 * it; if it catches up within the grace period it is told to resync (what was held back is
 * in the store), otherwise it is closed with 4408 and, since a client that does not read
 * will not read a close frame either, cut off a second later so its buffers are freed.
 */
export function outboundSocket(ws: WebSocket, options: OutboundOptions): SocketLike & { dispose(): void } {
  let behindSince: ReturnType<typeof setTimeout> | null = null;
  let cutOff: ReturnType<typeof setTimeout> | null = null;
  const close = (code?: number, reason?: string) => {
    if (ws.readyState === WebSocket.CLOSED) return;
    ws.close(code, reason);
    cutOff ??= setTimeout(() => ws.terminate(), 1_000);
    cutOff.unref?.();
  };
  const rawSend = (frame: string) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(frame);
  };
  const endOfGrace = () => {
    behindSince = null;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > options.maxBufferedBytes) close(CloseCode.SlowConsumer, 'slow consumer');
    else options.onRecovered(rawSend);
  };
  // What was still unsent when this turn's writes began: the frames of the current turn sit
  // corked in the stream until the turn ends and say nothing about how fast the client reads.
  let backlog = 0;
  const { stream, cork } = options;
  return {
    send(frame) {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (behindSince !== null) return; // held back: the client resyncs once it caught up
      if (stream === undefined || cork === undefined) backlog = ws.bufferedAmount;
      else if (cork.cork(stream)) backlog = ws.bufferedAmount;
      if (backlog > options.maxBufferedBytes) {
        behindSince = setTimeout(endOfGrace, options.graceMs);
        behindSince.unref?.();
        return;
      }
      ws.send(frame);
    },
    close,
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    dispose() {
      if (behindSince !== null) clearTimeout(behindSince);
      if (cutOff !== null) clearTimeout(cutOff);
    },
  };
}
