import type { io as ioType, Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import type { ServerKind } from './ipc.js';
import { BENCH_ORIGIN, WS_PATH } from './servers/contract.js';

/**
 * The load generator's clients, one per protocol: Parley's envelope over `ws` (also spoken by
 * the raw relay) and Socket.IO. Each reports acknowledgements, refusals and received messages
 * to the generator, which owns all bookkeeping.
 */

export interface ReceivedMessage {
  conversationId: string;
  seq: number;
  content: string;
}

export interface ClientHandlers {
  ack(token: number, seq: number): void;
  fail(token: number, code: string): void;
  message(message: ReceivedMessage): void;
}

export type SyncAnswer = Record<string, { messages: Array<{ seq: number; content: string }> }>;

export interface BenchClient {
  /** Resolves once the server has registered the socket (`connected`, or Socket.IO's connect). */
  connect(): Promise<void>;
  send(token: number, conversationId: string, content: string, tempId: string): void;
  /** Parley's catch-up; the baselines have none. */
  sync(since: Record<string, number>): Promise<SyncAnswer>;
  close(): Promise<void>;
}

let io: typeof ioType | undefined;

/** Loads what a protocol's clients need (socket.io-client only when the run is Socket.IO's). */
export async function prepareClients(kind: ServerKind): Promise<void> {
  if (kind === 'socketio' && io === undefined) io = (await import('socket.io-client')).io;
}

export function createClient(kind: ServerKind, port: number, userId: string, handlers: ClientHandlers): BenchClient {
  return kind === 'socketio' ? new SocketIoClient(port, userId, handlers) : new EnvelopeClient(port, userId, handlers);
}

interface EnvelopeFrame {
  type: string;
  replyTo?: number | string;
  data: {
    message?: ReceivedMessage;
    seq?: number;
    code?: string;
    conversations?: SyncAnswer;
  };
}

const NEW_MESSAGE = '{"type":"new_message"';

/**
 * Reads the three fields the generator needs from a `new_message` frame without parsing all
 * of it: deliveries are most of what a generator receives, and it must not be the bottleneck.
 * The content is the generator's own (no quotes, no escapes). Anything unexpected falls back
 * to JSON.parse.
 */
function quickNewMessage(text: string): ReceivedMessage | null {
  if (!text.startsWith(NEW_MESSAGE)) return null;
  const c = text.indexOf('"conversationId":"');
  const s = text.indexOf('"seq":');
  const k = text.indexOf('"content":"');
  if (c < 0 || s < 0 || k < 0) return null;
  const seq = Number.parseInt(text.slice(s + 6, s + 24), 10);
  if (!Number.isInteger(seq)) return null;
  return { conversationId: text.slice(c + 18, text.indexOf('"', c + 18)), seq, content: text.slice(k + 11, text.indexOf('"', k + 11)) };
}

/** Parley's wire protocol (PROTOCOL.md): `send_message` → `message_sent`, `new_message`, `sync`. */
class EnvelopeClient implements BenchClient {
  private ws: WebSocket | undefined;
  private syncs = new Map<string, (answer: SyncAnswer) => void>();
  private syncId = 0;

  constructor(
    private readonly port: number,
    private readonly userId: string,
    private readonly handlers: ClientHandlers,
  ) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${this.port}${WS_PATH}`, {
        headers: { authorization: `Bearer ${this.userId}`, origin: BENCH_ORIGIN },
        perMessageDeflate: false,
      });
      this.ws = ws;
      let open = false;
      ws.on('message', (raw) => {
        const text = String(raw);
        const quick = quickNewMessage(text);
        if (quick !== null) return this.handlers.message(quick);
        const frame = JSON.parse(text) as EnvelopeFrame;
        switch (frame.type) {
          case 'new_message':
            this.handlers.message(frame.data.message as ReceivedMessage);
            break;
          case 'message_sent':
            this.handlers.ack(frame.replyTo as number, frame.data.message?.seq ?? (frame.data.seq as number));
            break;
          case 'sync_result':
            this.syncs.get(String(frame.replyTo))?.(frame.data.conversations ?? {});
            this.syncs.delete(String(frame.replyTo));
            break;
          case 'error':
            if (typeof frame.replyTo === 'number') this.handlers.fail(frame.replyTo, frame.data.code ?? 'UNKNOWN');
            break;
          case 'connected':
            open = true;
            resolve();
            break;
          case 'connection_error':
            reject(new Error(`refused: ${frame.data.code}`));
            break;
        }
      });
      ws.on('error', (error) => {
        if (!open) reject(error);
      });
      ws.on('close', (code) => {
        if (!open) reject(new Error(`closed before connected (${code})`));
      });
    });
  }

  send(token: number, conversationId: string, content: string, tempId: string): void {
    this.ws?.send(JSON.stringify({ type: 'send_message', id: token, data: { conversationId, content, tempId } }));
  }

  sync(since: Record<string, number>): Promise<SyncAnswer> {
    const id = `sync-${++this.syncId}`;
    return new Promise((resolve) => {
      this.syncs.set(id, resolve);
      this.ws?.send(JSON.stringify({ type: 'sync', id, data: { since } }));
    });
  }

  close(): Promise<void> {
    const ws = this.ws;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => ws.terminate(), 2_000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close();
    });
  }
}

/** The Socket.IO baseline's client: `send` with an ack callback, `message` from the room. */
class SocketIoClient implements BenchClient {
  private socket: Socket | undefined;

  constructor(
    private readonly port: number,
    private readonly userId: string,
    private readonly handlers: ClientHandlers,
  ) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (io === undefined) throw new Error('prepareClients(\'socketio\') first');
      const socket = io(`http://127.0.0.1:${this.port}`, {
        path: WS_PATH,
        transports: ['websocket'],
        auth: { token: this.userId },
        reconnection: false,
        forceNew: true,
        extraHeaders: { origin: BENCH_ORIGIN },
      });
      this.socket = socket;
      socket.on('message', (message: ReceivedMessage) => this.handlers.message(message));
      socket.once('connect', () => resolve());
      socket.once('connect_error', (error) => reject(error));
    });
  }

  send(token: number, conversationId: string, content: string, tempId: string): void {
    this.socket?.emit('send', { conversationId, content, clientMessageId: tempId }, (answer: { seq?: number; error?: string }) => {
      if (answer.error !== undefined) this.handlers.fail(token, answer.error);
      else this.handlers.ack(token, answer.seq as number);
    });
  }

  sync(): Promise<SyncAnswer> {
    return Promise.reject(new Error('the Socket.IO baseline has no catch-up'));
  }

  async close(): Promise<void> {
    const socket = this.socket;
    if (socket === undefined || socket.disconnected) return;
    await new Promise<void>((resolve) => {
      const engine = socket.io.engine;
      const timer = setTimeout(resolve, 2_000);
      engine.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.disconnect();
      socket.io.engine.close();
    });
  }
}
