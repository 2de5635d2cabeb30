import type { PagingResult, ThreadSeed } from './ipc.js';

/**
 * The paging scenario's client: pages a long thread from its latest reply back to its first,
 * then the conversation's timeline the same way, one request at a time over REST (the same
 * transport for both), timing each round trip. A thread that loaded whole, or a timeline that
 * read past every thread reply, would show here as pages far slower than the other's.
 */
/** The value at percentile `p` of ascending `sorted` (nearest rank). */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export async function pageToStart(port: number, seed: ThreadSeed, pageSize: number): Promise<PagingResult> {
  const base = `http://127.0.0.1:${port}/api`;
  const get = async (path: string) => {
    const started = performance.now();
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${seed.userId}` } });
    const body = (await res.json()) as { messages?: Array<{ id: string; seq: number; threadId?: string | null; alsoToConversation?: boolean }>; hasMoreBefore?: boolean; error?: unknown };
    if (!res.ok || body.messages === undefined) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body.error ?? body)}`);
    return { ms: performance.now() - started, messages: body.messages, hasMoreBefore: body.hasMoreBefore === true };
  };
  const walk = async (path: (before: number | null) => string) => {
    const times: number[] = [];
    const seqs: number[] = [];
    let before: number | null = null;
    let threadOnly = 0;
    for (;;) {
      const page = await get(path(before));
      times.push(page.ms);
      for (const m of page.messages.slice().reverse()) seqs.push(m.seq);
      threadOnly += page.messages.filter((m) => (m.threadId ?? null) !== null && m.alsoToConversation !== true).length;
      if (!page.hasMoreBefore || page.messages.length === 0) break;
      before = page.messages[0]!.seq;
    }
    const sorted = [...times].sort((a, b) => a - b);
    return {
      stats: { pages: times.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN, first: times[0] ?? Number.NaN },
      seqs,
      threadOnly,
    };
  };
  const thread = await walk((before) => `/conversations/messages/${seed.threadId}/thread?limit=${pageSize}${before === null ? '' : `&before=${before}`}`);
  const conversation = await walk((before) => `/conversations/${seed.conversationId}/messages?limit=${pageSize}${before === null ? '' : `&before=${before}`}`);
  const descending = (seqs: number[]) => seqs.every((seq, i) => i === 0 || seq < seqs[i - 1]!);
  const ok =
    thread.seqs.length === seed.replies &&
    descending(thread.seqs) &&
    descending(conversation.seqs) &&
    conversation.threadOnly === 0 &&
    conversation.seqs.length >= seed.timeline;
  return { replies: seed.replies, pageSize, thread: thread.stats, conversation: conversation.stats, ok };
}
