/**
 * The part of the WebSocket API the client uses, met by browsers' `WebSocket` and by the `ws`
 * package in Node (`createParleyClient({ WebSocket: ws.WebSocket })`): Node 20 has no global one.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: unknown;
  onmessage: unknown;
  onclose: unknown;
  onerror: unknown;
}

/** A WebSocket class: `new WebSocket(url, protocols)`. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The socket with its handlers typed as the client sets them. */
export interface OpenableSocket extends WebSocketLike {
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: (() => void) | null;
  /** `ws` only: drops the connection at once, without a closing handshake. */
  terminate?: () => void;
}

/** WebSocket's OPEN readyState. */
export const OPEN = 1;

/**
 * Network awareness: browsers' `window` (`online` / `offline` events and `navigator.onLine`).
 * Tests and other hosts may pass their own.
 */
export interface NetworkMonitor {
  isOnline(): boolean;
  /** Calls back on every change; returns the unsubscriber. */
  subscribe(listener: (online: boolean) => void): () => void;
}

/** The browser's monitor, or null outside a browser. */
export function browserNetwork(): NetworkMonitor | null {
  const g = globalThis as {
    addEventListener?: (type: string, listener: () => void) => void;
    removeEventListener?: (type: string, listener: () => void) => void;
    navigator?: { onLine?: boolean };
  };
  if (typeof g.addEventListener !== 'function' || typeof g.removeEventListener !== 'function' || typeof g.navigator?.onLine !== 'boolean') return null;
  return {
    isOnline: () => g.navigator?.onLine !== false,
    subscribe(listener) {
      const online = () => listener(true);
      const offline = () => listener(false);
      g.addEventListener!('online', online);
      g.addEventListener!('offline', offline);
      return () => {
        g.removeEventListener!('online', online);
        g.removeEventListener!('offline', offline);
      };
    },
  };
}
