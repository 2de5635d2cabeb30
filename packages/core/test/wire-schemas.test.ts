import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  createChatServices,
  createMemoryStore,
  RealtimeHub,
  SUCCESS_REPLIES,
  type ChangesSince,
  type Conversation,
  type ConversationListItem,
  type Member,
  type MemberWithProfile,
  type Message,
  type MessagePage,
  type ReactionResult,
  type ResyncReason,
  type AttachmentInfo,
  type UploadSlot,
  type AttachmentDownload,
  type ConversationService,
  type ConversationStats,
  type HubHealth,
  type MessageService,
  type MessageStats,
  type ReactionStats,
  type ReadReceiptStats,
  type SearchResult,
  type Pin,
  type MessageHistory,
  type PinService,
} from '@parley/core';
import {
  attachmentDownloadSchema,
  attachmentInfoSchema,
  uploadSlotSchema,
  conversationListItemSchema,
  conversationSchema,
  memberSchema,
  memberWithProfileSchema,
  messagePageSchema,
  messageSchema,
  parseServerFrame,
  REPLY_OF,
  replySchemas,
  syncEntrySchema,
  changesSinceSchema,
  conversationStatsSchema,
  deleteResultSchema,
  healthSchema,
  leaveResultSchema,
  messageStatsSchema,
  reactionStatsSchema,
  readReceiptStatsSchema,
  searchResultSchema,
  pinSchema,
  messageHistorySchema,
  unpinResultSchema,
  type ResyncReasonName,
  userExportLineSchema,
} from '@parley/core/protocol';
import type { UserExportLine } from '@parley/core';
import { waitFor } from '@parley/core/testing';

/** True only when A and B are assignable both ways: the schema and the domain type agree. */
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree = <T extends true>(value: T) => value;

describe('wire schemas (@parley/core/protocol)', () => {
  it('infer the same types as domain/types.ts', () => {
    agree<Mutual<z.infer<typeof messageSchema>, Message>>(true);
    agree<Mutual<z.infer<typeof conversationSchema>, Conversation>>(true);
    agree<Mutual<z.infer<typeof conversationListItemSchema>, ConversationListItem>>(true);
    agree<Mutual<z.infer<typeof memberSchema>, Member>>(true);
    agree<Mutual<z.infer<typeof memberWithProfileSchema>, MemberWithProfile>>(true);
    agree<Mutual<z.infer<typeof messagePageSchema>, MessagePage>>(true);
    agree<Mutual<z.infer<typeof syncEntrySchema>, Omit<ChangesSince, 'conversationId'>>>(true);
    agree<Mutual<z.infer<(typeof replySchemas)['react_to_message_success']>, ReactionResult>>(true);
    agree<Mutual<ResyncReasonName, ResyncReason>>(true);
    agree<Mutual<z.infer<typeof attachmentInfoSchema>, AttachmentInfo>>(true);
    agree<Mutual<z.infer<typeof uploadSlotSchema>, UploadSlot>>(true);
    agree<Mutual<z.infer<typeof attachmentDownloadSchema>, AttachmentDownload>>(true);
    expect(true).toBe(true);
  });

  it('infer the same types as the services for what only REST answers', () => {
    type Result<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;
    agree<Mutual<z.infer<typeof conversationStatsSchema>, ConversationStats>>(true);
    agree<Mutual<z.infer<typeof searchResultSchema>, SearchResult>>(true);
    agree<Mutual<z.infer<typeof messageStatsSchema>, MessageStats>>(true);
    agree<Mutual<z.infer<typeof reactionStatsSchema>, ReactionStats>>(true);
    agree<Mutual<z.infer<typeof readReceiptStatsSchema>, ReadReceiptStats>>(true);
    agree<Mutual<z.infer<typeof changesSinceSchema>, ChangesSince>>(true);
    agree<Mutual<z.infer<typeof leaveResultSchema>, Result<ConversationService['leaveConversation']>>>(true);
    agree<Mutual<z.infer<typeof deleteResultSchema>, Result<MessageService['deleteMessage']>>>(true);
    agree<Mutual<z.infer<typeof userExportLineSchema>, UserExportLine>>(true);
    agree<Mutual<z.infer<typeof pinSchema>, Pin>>(true);
    agree<Mutual<z.infer<typeof messageHistorySchema>, MessageHistory>>(true);
    agree<Mutual<z.infer<typeof unpinResultSchema>, Result<PinService['unpinMessage']>>>(true);
    agree<Mutual<z.infer<typeof healthSchema>, HubHealth | Omit<HubHealth, 'nodeId' | 'connections'>>>(true);
    expect(true).toBe(true);
  });

  it('name the same success reply for every client event as the hub', () => {
    expect(REPLY_OF).toEqual(SUCCESS_REPLIES);
  });

  it('bundle for a browser without any Node built-in', async () => {
    const entry = fileURLToPath(new URL('../src/realtime/wire/index.ts', import.meta.url));
    const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', conditions: ['source'] });
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/from ["']node:|require\(["']node:|\bBuffer\./);
  });

  it('parse every frame a real hub sends through a whole conversation', async () => {
    const services = createChatServices({ store: createMemoryStore() });
    const hub = new RealtimeHub({ services, typingTtlMs: 50 });
    const frames: string[] = [];
    const socket = (sink: string[]) => ({ send: (data: string) => void sink.push(data), close: () => {} });
    const other: string[] = [];
    const reauthenticate = async (token: string) => ({ id: token, name: token, status: 'active', expiresAt: Date.now() + 60_000 });
    const alice = await hub.handleConnection(socket(frames), { id: 'alice', name: 'Alice', status: 'active', expiresAt: Date.now() + 60_000 }, { reauthenticate });
    const group = await services.conversations.createGroupConversation('alice', { name: 'G', memberIds: ['bob', 'carol'] });
    const bob = await hub.handleConnection(socket(other), { id: 'bob', name: 'Bob', status: 'active' });
    const carol = await hub.handleConnection(socket([]), { id: 'carol', name: 'Carol', status: 'active' });
    await carol.handleClose();
    let n = 0;
    const send = (type: string, data: unknown) => alice.handleFrame(JSON.stringify({ type, id: `r${(n += 1)}`, data }));
    await send('join_conversation', { conversationId: group.id });
    await bob.handleFrame(JSON.stringify({ type: 'join_conversation', data: { conversationId: group.id } }));
    await send('typing_start', { conversationId: group.id });
    await send('send_message', { conversationId: group.id, content: 'hi', tempId: 't1' });
    const sent = frames.map((f) => JSON.parse(f)).find((f) => f.type === 'message_sent').data.message as Message;
    await services.messages.sendMessage('bob', { conversationId: group.id, content: 'from bob' });
    await services.messages.sendMessage('bob', { conversationId: group.id, content: 'in a thread @alice', threadId: sent.id, mentions: ['alice'] });
    await send('send_message', { conversationId: group.id, content: 'my reply', threadId: sent.id, alsoToConversation: true });
    await send('get_thread', { threadId: sent.id, limit: 10 });
    await send('mark_thread_read', { threadId: sent.id });
    await send('get_thread_unread', { conversationId: group.id });
    await waitFor(() => frames.some((f) => f.includes('"thread_unread_changed"')), 2_000, 'thread unread push');
    await send('edit_message', { messageId: sent.id, content: 'hello' });
    await send('react_to_message', { messageId: sent.id, emoji: '👍' });
    await send('remove_reaction', { messageId: sent.id, emoji: '👍' });
    await send('mark_as_read', { conversationId: group.id });
    await send('mark_unread', { conversationId: group.id, messageId: sent.id });
    await send('pin_message', { messageId: sent.id });
    await send('list_pins', { conversationId: group.id });
    await send('unpin_message', { messageId: sent.id });
    await send('get_message_history', { messageId: sent.id });
    await send('sync', { since: { [group.id]: { seq: 0, version: 0 }, missing: 0 } });
    await send('delete_message', { messageId: sent.id, forEveryone: true });
    await send('typing_stop', { conversationId: group.id });
    await send('authenticate', { token: 'alice' });
    await send('ping', {});
    await send('leave_conversation', { conversationId: group.id });
    await send('nonsense', {});
    await services.conversations.updateConversation(group.id, 'alice', { name: 'G2' });
    const expected = ['connected', 'joined_conversation', 'ack', 'message_sent', 'new_message', 'message_edit_success', 'message_edited', 'react_to_message_success',
      'remove_reaction_success', 'message_reaction_updated', 'mark_as_read_success', 'messages_read', 'mark_unread_success', 'read_position_changed', 'sync_result',
      'message_delete_success', 'message_deleted', 'pin_message_success', 'message_pinned', 'pins_result', 'unpin_message_success', 'message_unpinned', 'message_history', 'authenticated', 'pong', 'left_conversation', 'error', 'conversation_updated', 'unread_changed', 'user_online', 'user_offline', 'user_typing', 'user_stopped_typing', 'user_joined_conversation', 'user_left_conversation',
      'thread_messages', 'mark_thread_read_success', 'thread_unread_result', 'thread_unread_changed'];
    // Pushes (unread counts, presence, typing expiry) come on timers: wait for all of them,
    // generously, so a loaded machine is not mistaken for a missing frame.
    const typeOf = (text: string) => (JSON.parse(text) as { type: string }).type;
    await waitFor(() => expected.every((type) => [...frames, ...other].some((f) => typeOf(f) === type)), 10_000, 'every frame type');
    const types = new Set<string>();
    for (const text of [...frames, ...other]) {
      const result = parseServerFrame(text);
      expect(result, text).toMatchObject({ ok: true, frame: { known: true } });
      if (result.ok) types.add(result.frame.type);
    }
    for (const type of expected) expect(types, type).toContain(type);
    await hub.close();
    await services.close();
  });

  it('report a frame whose data does not match, and pass unknown events through', () => {
    expect(parseServerFrame('{"type":"new_message","data":{"message":{"id":1}}}')).toMatchObject({ ok: false, type: 'new_message' });
    expect(parseServerFrame('{"type":"host_event","data":{"x":1}}')).toMatchObject({ ok: true, frame: { known: false, type: 'host_event', data: { x: 1 } } });
    expect(parseServerFrame('nope')).toMatchObject({ ok: false });
  });
});
