import { ChatError } from '../domain/errors.js';
import type { ParsedSendMessage } from '../domain/schemas.js';
import type { Conversation, MemberRole, Message } from '../domain/types.js';
import type { Logger } from '../util/logger.js';

/**
 * Typed, in-process hooks (issue 13): the host checks or changes what users do before it is
 * stored. A hook runs in the request (no HTTP round trip), may **reject** by throwing a
 * `ChatError` (its code and message reach the client as they are) or **rewrite** by returning
 * a new value, and gets a time budget: a hook that throws anything else or runs out of time
 * counts as failed, and `onFailure` decides (refuse, the default, or let it through). Several
 * hooks per point run in order, each seeing the previous one's rewrite. Whatever a hook
 * returns is validated again, so no hook can store what the limits forbid.
 *
 * What happened afterwards is on `chat.events` (`message_created`, `message_edited`, …):
 * listeners there can never fail the request that caused them.
 */

/** The parts of a message a `beforeSend` hook may change. */
export type SendDraft = Pick<ParsedSendMessage, 'type' | 'content' | 'replyToId' | 'attachments' | 'metadata'>;

interface HookContext {
  /** Who acts. */
  userId: string;
  conversationId: string;
  /** The conversation, read on first call (a hook that does not need it costs no read). */
  conversation(): Promise<Conversation>;
}

export interface BeforeSendContext extends HookContext {
  role: MemberRole;
  draft: SendDraft;
}
export interface BeforeEditContext extends HookContext {
  message: Message;
  content: string;
}
export interface BeforeAddMembersContext {
  userId: string;
  /** `create_group` and `create_direct` have no conversation yet. */
  action: 'create_group' | 'create_direct' | 'add_members';
  conversationId: string | null;
  memberIds: string[];
}
export interface BeforeJoinContext extends HookContext {
  role: MemberRole;
}

type Maybe<T> = T | void | undefined;
export type BeforeSend = (context: BeforeSendContext) => Maybe<SendDraft> | Promise<Maybe<SendDraft>>;
export type BeforeEdit = (context: BeforeEditContext) => Maybe<string> | Promise<Maybe<string>>;
export type BeforeAddMembers = (context: BeforeAddMembersContext) => Maybe<string[]> | Promise<Maybe<string[]>>;
export type BeforeJoin = (context: BeforeJoinContext) => void | Promise<void>;

type OneOrMany<T> = T | T[];

export interface HookOptions {
  /** Before a message is stored: reject it, or return the message to store instead (mask a word). */
  beforeSend?: OneOrMany<BeforeSend>;
  /** Before an edit is stored: reject it, or return the text to store instead. */
  beforeEdit?: OneOrMany<BeforeEdit>;
  /** Before users are added (a group created, a direct conversation opened, members added): reject, or return the ids to add. */
  beforeAddMembers?: OneOrMany<BeforeAddMembers>;
  /** Before a socket joins a conversation's room (`join_conversation`): reject only. */
  beforeJoin?: OneOrMany<BeforeJoin>;
  /** Each hook call's time budget. Default 500 ms. */
  timeoutMs?: number;
  /** A hook that throws something other than a ChatError, or runs out of time: refuse (default) or allow. */
  onFailure?: 'reject' | 'allow';
}

const list = <T>(value: OneOrMany<T> | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Runs the host's hooks with their budget; one per services instance. */
export class HookRunner {
  readonly beforeSend: BeforeSend[];
  readonly beforeEdit: BeforeEdit[];
  readonly beforeAddMembers: BeforeAddMembers[];
  readonly beforeJoin: BeforeJoin[];
  private readonly timeoutMs: number;
  private readonly onFailure: 'reject' | 'allow';

  constructor(
    options: HookOptions,
    private readonly logger: Logger,
  ) {
    this.beforeSend = list(options.beforeSend);
    this.beforeEdit = list(options.beforeEdit);
    this.beforeAddMembers = list(options.beforeAddMembers);
    this.beforeJoin = list(options.beforeJoin);
    this.timeoutMs = options.timeoutMs ?? 500;
    this.onFailure = options.onFailure ?? 'reject';
  }

  /**
   * Runs `hooks` in order on `value`, each given `context(value)`; returns the last value.
   * A ChatError thrown by a hook is the caller's answer; any other failure is `onFailure`'s.
   */
  async run<V, C>(point: string, hooks: Array<(context: C) => Maybe<V> | Promise<Maybe<V>>>, value: V, context: (value: V) => C): Promise<V> {
    let current = value;
    for (const [index, hook] of hooks.entries()) {
      let outcome: Maybe<V>;
      try {
        outcome = await this.withBudget(Promise.resolve().then(() => hook(context(current))));
      } catch (error) {
        if (error instanceof ChatError) throw error;
        this.logger.warn(`${point} hook failed`, { hook: hook.name || `#${index}`, error: error instanceof Error ? error.message : String(error) });
        if (this.onFailure === 'allow') continue;
        throw new ChatError('UNAVAILABLE', 'This could not be checked just now; try again', { hook: point });
      }
      if (outcome !== undefined) current = outcome;
    }
    return current;
  }

  private withBudget<T>(work: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`took longer than ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([work, expired]).finally(() => clearTimeout(timer));
  }
}

/** Rejects from inside a hook: `throw reject('No links, please', { field: 'content' })`. */
export function reject(message: string, options: { code?: 'FORBIDDEN' | 'VALIDATION_FAILED' | 'CONFLICT' | 'RATE_LIMITED'; field?: string } = {}): ChatError {
  return new ChatError(options.code ?? 'FORBIDDEN', message, options.field === undefined ? undefined : { field: options.field });
}
