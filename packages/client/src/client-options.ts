import type { ServerEventData } from '@parley/core/protocol';
import type { ConnectionStatus, ReconnectOptions } from './connection.js';
import type { ClientError } from './errors.js';
import type { Logger } from './logger.js';
import type { FetchLike } from './rest.js';
import type { NetworkMonitor, WebSocketConstructor } from './socket-types.js';
import type { OutboxStorage, OutgoingMessage } from './storage/outbox-storage.js';
import type { PutBytes } from './uploads.js';

export interface ParleyClientOptions {
  /** The WebSocket endpoint: `wss://chat.example.com/chat`. */
  url: string;
  /** Called before every (re)connect and before the token expires: return a valid token. */
  getToken: () => string | Promise<string>;
  /** Default: the global `WebSocket` (browsers). In Node 20 pass `ws`'s `WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** Where unsent messages are kept. Default: memory (survives reconnects, not reloads). */
  storage?: OutboxStorage;
  logger?: Logger;
  /** Where the REST API is mounted (`https://chat.example.com/api`), for the conversation list and older pages. */
  restUrl?: string;
  /** Default: the global `fetch`. */
  fetch?: FetchLike;
  reconnect?: ReconnectOptions;
  /** A request with no reply this long fails with TIMEOUT, and the socket is replaced. Default 30 s. */
  requestTimeoutMs?: number;
  /** An application-level ping this often finds dead sockets; `false` turns it off. Default 25 s. */
  heartbeatIntervalMs?: number | false;
  /** A fresh token is sent this long before the current one expires. Default 60 s (at most half its life). */
  refreshBeforeMs?: number;
  /** Someone's typing is forgotten this long after their last `user_typing`. Default 12 s. */
  typingTtlMs?: number;
  /** A seq jump waits this long for the missing messages before catching up. Default 150 ms. */
  gapDelayMs?: number;
  /** The server's frame limit. Default 1 MiB. */
  maxFrameBytes?: number;
  /** Online/offline events. Default: the browser's (`window`), none in Node. */
  network?: NetworkMonitor | null;
  /** How `upload()` sends a file's bytes. Default: XHR in browsers (progress), `fetch` elsewhere. */
  putBytes?: PutBytes;
  /** Connect at once (default), or wait for `connect()`. */
  autoConnect?: boolean;
}

/** Client-side events, beside every server event by its wire name. */
export interface ClientSideEvents {
  status: ConnectionStatus;
  /** A socket closed (a reconnect follows unless the client gave up or was closed). */
  disconnected: { code: number; reason: string };
  /** The client stopped reconnecting: repeated authentication failure, or 4403. */
  gave_up: ClientError;
  /** A frame that does not match the wire schemas (a server newer than this client, or a bug). */
  invalid_frame: { problem: string };
  /** A fresh token was accepted on the open socket (`authenticate`). */
  token_refreshed: { expiresAt: string | null };
  /** Every frame, known or not (a host's `hub.notifyUser` events arrive here). */
  frame: { type: string; data: unknown };
}
export type ParleyClientEvents = ServerEventData & ClientSideEvents;

export type SendMessageOptions = OutgoingMessage & { conversationId: string; clientMessageId?: string };
