import { conversationPageSchema, memberWithProfileSchema, messagePageSchema, type ConversationListItem, type MessagePage, type Page } from '@parley/core/protocol';
import { ClientError } from './errors.js';

/** A row of `GET /conversations/:id/members`: the member, with the host's profile when it has one. */
export type MemberWithProfile = NonNullable<Extract<ReturnType<typeof memberWithProfileSchema.safeParse>, { success: true }>['data']>;

/** `fetch` as the client uses it (the global one in browsers and Node 20, or the host's). */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string> }) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/**
 * The two REST reads the socket protocol has no twin for: the conversation list and pages of
 * older messages. `baseUrl` is where the host mounted the REST handler (`https://host/api`).
 */
export class Rest {
  constructor(
    private readonly baseUrl: string,
    private readonly token: () => Promise<string>,
    private readonly fetchImpl: FetchLike,
  ) {}

  listConversations(options: { archived?: boolean; limit?: number; cursor?: string } = {}): Promise<Page<ConversationListItem>> {
    const query = new URLSearchParams({ limit: String(options.limit ?? 100) });
    if (options.archived === true) query.set('archived', 'true');
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    return this.get(`/conversations?${query}`, conversationPageSchema);
  }

  listMessages(conversationId: string, options: { before?: number; after?: number; limit?: number } = {}): Promise<MessagePage> {
    const query = new URLSearchParams({ limit: String(options.limit ?? 50) });
    if (options.before !== undefined) query.set('before', String(options.before));
    if (options.after !== undefined) query.set('after', String(options.after));
    return this.get(`/conversations/${encodeURIComponent(conversationId)}/messages?${query}`, messagePageSchema);
  }

  async listMembers(conversationId: string): Promise<MemberWithProfile[]> {
    const members = await this.get<unknown[]>(`/conversations/${encodeURIComponent(conversationId)}/members`, { safeParse: (v: unknown) => (Array.isArray(v) ? { success: true as const, data: v } : { success: false as const }) });
    return members.map((m) => {
      const parsed = memberWithProfileSchema.safeParse(m);
      if (!parsed.success) throw new ClientError('PROTOCOL', 'GET /members: a member does not match the protocol');
      return parsed.data;
    });
  }

  private async get<T>(path: string, schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }): Promise<T> {
    const response = await this.fetchImpl(`${this.baseUrl.replace(/\/$/, '')}${path}`, {
      method: 'GET',
      headers: { authorization: `Bearer ${await this.token()}`, accept: 'application/json' },
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const error = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
      throw new ClientError((error?.code ?? 'UNAVAILABLE') as never, error?.message ?? `HTTP ${response.status}`, error?.details);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new ClientError('PROTOCOL', `GET ${path}: the answer does not match the protocol`);
    return parsed.data;
  }
}
